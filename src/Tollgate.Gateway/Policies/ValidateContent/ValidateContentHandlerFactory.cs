using Tollgate.Core.Policies.Definitions.ValidateContent;
using Tollgate.Gateway.Policies.Runtime;

namespace Tollgate.Gateway.Policies.ValidateContent;

/// <summary>Builds <see cref="ValidateContentHandler"/>.</summary>
internal sealed class ValidateContentHandlerFactory() : PolicyHandlerFactory<ValidateContentConfig>(ValidateContentPolicy.Instance)
{
    public override PolicyHandler Build(ValidateContentConfig config, PolicyBuildContext context) => new ValidateContentHandler(
        context.Location,
        context.Value(config.UnspecifiedContentTypeAction),
        config.MaxSize,
        context.Value(config.SizeExceededAction),
        config.ErrorsVariableName,
        config.AnyContentTypeValue,
        config.MissingContentTypeValue,
        config.Mappings.Select(m => new ContentTypeMapping(m.From, context.Optional(m.When), m.To)).ToArray(),
        config.Rules.Select(r => new ContentRule(r.Type, r.ValidateAs, context.Value(r.Action), r.AllowAdditionalProperties, r.SchemaId, r.SchemaRef)).ToArray());
}
