namespace Tollgate.Gateway.Policies.Counters;

/// <summary>
/// A counter or cache store could not answer (Redis unreachable, timed out, refused a script). The one exception
/// type the policy runtime has to handle; whether the call then fails open or closed is the runtime's setting.
/// </summary>
public sealed class CounterStoreException : Exception
{
    public CounterStoreException()
    {
    }

    public CounterStoreException(string message)
        : base(message)
    {
    }

    public CounterStoreException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
