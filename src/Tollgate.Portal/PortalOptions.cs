namespace Tollgate.Portal;

/// <summary>The portal role (section <c>Tollgate:Portal</c>).</summary>
public sealed class PortalOptions
{
    /// <summary>Where the portal listens. Default <c>http://127.0.0.1:5083</c>.</summary>
    public string Url { get; set; } = "http://127.0.0.1:5083";

    /// <summary>
    /// The management API the portal calls (<c>http://127.0.0.1:5081</c>). In the all-in-one process it is the
    /// management role's own listener; a portal running alone (<c>--roles portal</c>) must be given it.
    /// </summary>
    public string? ManagementUrl { get; set; }

    /// <summary>The identifier that signs management calls (the tenant access identifier, <c>integration</c>).</summary>
    public string ManagementKeyId { get; set; } = "integration";

    /// <summary>
    /// The tenant access key (primary or secondary) the portal signs its management calls with, for a portal running
    /// alone. The all-in-one process signs with the management role's own key and needs none.
    /// </summary>
    public string? ManagementKey { get; set; }

    /// <summary>
    /// The ARM subscription id of the instances the publisher portal shows. Default: the all-zero GUID the demo's
    /// instance lives under (Azure SDKs require a GUID).
    /// </summary>
    public string SubscriptionId { get; set; } = "00000000-0000-0000-0000-000000000000";

    /// <summary>The ARM resource group of the instances the publisher portal shows. Default <c>tollgate</c>, as the demo uses.</summary>
    public string ResourceGroup { get; set; } = "tollgate";

    /// <summary>
    /// The instance the developer portal (<c>/</c>) shows. Default: the first instance of <see cref="SubscriptionId"/>
    /// and <see cref="ResourceGroup"/> (the demo has one, <c>demoazureml</c>).
    /// </summary>
    public string? DefaultInstance { get; set; }

    /// <summary>
    /// Studio's API, which the Studio pages (<c>/studio</c>) call. Default <c>http://127.0.0.1:5082</c>; in the
    /// all-in-one process it is the Studio role's own listener.
    /// </summary>
    public string StudioUrl { get; set; } = "http://127.0.0.1:5082";

    /// <summary>
    /// The workspace authorization token the signed-in administrator opens Studio with, for a portal running apart from
    /// Studio. The all-in-one process uses the Studio role's own token and needs none; without either, Studio's pages
    /// ask for the token.
    /// </summary>
    public string? StudioToken { get; set; }

    /// <summary>Where the portal keeps the keys that protect its session cookies (default <c>{data}/portal-keys</c>).</summary>
    public string? KeysDirectory { get; set; }

    /// <summary>Sign-in and sign-up forms a client address may post per minute. Default 10.</summary>
    public int SignInAttemptsPerMinute { get; set; } = 10;

    /// <summary>How long a session lasts without a request (sliding). Default 1 hour.</summary>
    public TimeSpan SessionIdleTimeout { get; set; } = TimeSpan.FromHours(1);
}
