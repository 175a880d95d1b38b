namespace Tollgate.Gateway.Policies.Runtime;

/// <summary>
/// APIM's default global backend section, <c>&lt;forward-request /&gt;</c>, where a scope's <c>&lt;base /&gt;</c> brings it
/// among other backend policies (<see cref="Core.Policies.EffectivePolicy.DefaultForwardAt"/>). Alone it is not built:
/// the pipeline's empty backend forwards the same way without a handler.
/// </summary>
internal sealed class DefaultForwardHandler : PolicyHandler
{
    private DefaultForwardHandler()
        : base(PolicyExecutor.DefaultForward)
    {
    }

    public static DefaultForwardHandler Instance { get; } = new();

    public override bool Forwards => true;

    public override ValueTask<PolicyStep> ExecuteAsync(PolicyContext context) => PolicyExecutor.ForwardAsync(context, null, Location);
}
