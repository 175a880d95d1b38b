namespace Tollgate.Studio.Modules.FeatureHashing;

/// <summary>
/// A module parameter outside its allowed range, carrying ML Studio (classic)'s module error code and message.
/// </summary>
/// <remarks>
/// <see cref="Message"/> is exactly the Studio module message (e.g. <c>Parameter "Hashing bitsize" should be
/// less than or equal to 31.</c>), without .NET's "(Parameter '…')" suffix; <see cref="FullMessage"/> adds the
/// <c>Error 0007: </c> prefix that Studio's run log shows. <see cref="ArgumentException.ParamName"/> is the .NET
/// argument name; the message names the parameter by its Studio display name.
/// </remarks>
public sealed class StudioParameterOutOfRangeException : ArgumentOutOfRangeException
{
    private readonly string _moduleMessage;

    /// <summary>Creates the exception.</summary>
    /// <param name="paramName">The .NET argument name.</param>
    /// <param name="actualValue">The rejected value.</param>
    /// <param name="errorCode">The four-digit Studio module error code, e.g. <c>"0007"</c>.</param>
    /// <param name="moduleMessage">The Studio module error message.</param>
    public StudioParameterOutOfRangeException(string paramName, object? actualValue, string errorCode, string moduleMessage)
        : base(paramName, actualValue, moduleMessage)
    {
        ErrorCode = errorCode;
        _moduleMessage = moduleMessage;
    }

    /// <summary>The four-digit Studio module error code ("0004", "0005" or "0007").</summary>
    public string ErrorCode { get; }

    /// <summary>The Studio module error message.</summary>
    public override string Message => _moduleMessage;

    /// <summary><c>Error {code}: {message}</c>, as in Studio's module log.</summary>
    public string FullMessage => $"Error {ErrorCode}: {_moduleMessage}";
}
