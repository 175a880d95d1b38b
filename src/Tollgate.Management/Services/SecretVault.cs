using System.Text.Json.Nodes;
using Tollgate.Security;

namespace Tollgate.Management.Services;

/// <summary>
/// Encrypts the secrets of resources (subscription keys, secret named values, admin keys) with the installation's data key.
/// The key comes from <c>Tollgate:Secrets:Key</c> (base64, 32 bytes; share it between management nodes) or from
/// <c>{data}/secrets.key</c>, created with a CSPRNG on first start and readable only by its owner.
/// </summary>
public sealed class SecretVault(SecretProtector protector)
{
    public static SecretVault Load(string? configuredKey, string dataDirectory) =>
        new(SecretProtector.Load(configuredKey, dataDirectory));

    public string Protect(JsonObject secrets) => protector.ProtectString(secrets.ToJsonString());

    public JsonObject Unprotect(string? stored) =>
        stored is null ? [] : (JsonNode.Parse(protector.UnprotectString(stored)) as JsonObject ?? []);

    public string ProtectString(string value) => protector.ProtectString(value);

    public string UnprotectString(string value) => protector.UnprotectString(value);
}
