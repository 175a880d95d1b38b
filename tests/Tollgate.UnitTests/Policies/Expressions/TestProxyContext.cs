using System.Security.Cryptography.X509Certificates;
using Tollgate.Core.Policies.Expressions;

namespace Tollgate.UnitTests.Policies.Expressions;

/// <summary>An in-memory <c>context</c> for expression tests.</summary>
internal sealed class TestProxyContext : IProxyContext
{
    public List<string> Traces { get; } = [];

    public IApi Api { get; init; } = new TestApi();

    public IBackend? Backend { get; init; }

    public IWorkspace? Workspace { get; init; }

    public IDeployment Deployment { get; init; } = new TestDeployment();

    public TimeSpan Elapsed { get; init; } = TimeSpan.FromMilliseconds(12);

    public ILastError? LastError { get; init; }

    public IOperation Operation { get; init; } = new TestOperation();

    public IProduct? Product { get; init; }

    public IRequest Request { get; init; } = new TestRequest();

    public Guid RequestId { get; init; } = Guid.Parse("0f8fad5b-d9cb-469f-a165-70867728950e");

    public IResponse? Response { get; init; }

    public ISubscription? Subscription { get; init; }

    public DateTime Timestamp { get; init; } = new(2026, 3, 1, 12, 0, 0, DateTimeKind.Utc);

    public bool Tracing { get; init; }

    public IUser? User { get; init; }

    public Dictionary<string, object> VariableValues { get; init; } = new(StringComparer.Ordinal);

    public IReadOnlyDictionary<string, object> Variables => VariableValues;

    public void Trace(string message) => Traces.Add(message);

    public static Dictionary<string, string[]> Headers(params (string Name, string[] Values)[] headers) =>
        headers.ToDictionary(h => h.Name, h => h.Values, StringComparer.OrdinalIgnoreCase);
}

internal sealed class TestApi : IApi
{
    public string Id { get; init; } = "echo";

    public string Name { get; init; } = "Echo API";

    public string Path { get; init; } = "echo";

    public IEnumerable<string> Protocols { get; init; } = ["https"];

    public IUrl ServiceUrl { get; init; } = new Url("http://backend.local:8080/api");

    public ISubscriptionKeyParameterNames SubscriptionKeyParameterNames { get; init; } = new TestKeyNames();

    public bool IsCurrentRevision { get; init; } = true;

    public string Revision { get; init; } = "1";

    public string? Version { get; init; }
}

internal sealed class TestKeyNames : ISubscriptionKeyParameterNames
{
    public string Header => "Ocp-Apim-Subscription-Key";

    public string Query => "subscription-key";
}

internal sealed class TestDeployment : IDeployment, IGateway, ISustainabilityInfo
{
    public IGateway Gateway => this;

    public string GatewayId => "managed";

    public string Region => "local";

    public string ServiceId => "/subscriptions/s/resourceGroups/g/providers/Microsoft.ApiManagement/service/demoazureml";

    public string ServiceName => "demoazureml";

    public ISustainabilityInfo SustainabilityInfo => this;

    public string Id => "managed";

    public string InstanceId => "managed";

    public bool IsManaged => true;

    public CarbonIntensityCategory CurrentCarbonIntensity => CarbonIntensityCategory.NotAvailable;

    public IReadOnlyDictionary<string, X509Certificate2> Certificates { get; } = new Dictionary<string, X509Certificate2>();
}

internal sealed class TestOperation : IOperation
{
    public string Id { get; init; } = "rrs-execute";

    public string Method { get; init; } = "POST";

    public string Name { get; init; } = "RRS Execute";

    public string UrlTemplate { get; init; } = "/execute";
}

internal sealed class TestRequest : IRequest
{
    public IMessageBody? Body { get; init; }

    public X509Certificate2? Certificate { get; init; }

    public IReadOnlyDictionary<string, string[]> Headers { get; init; } = TestProxyContext.Headers();

    public string IpAddress { get; init; } = "10.1.2.3";

    public IReadOnlyDictionary<string, string> MatchedParameters { get; init; } = new Dictionary<string, string>();

    public string Method { get; init; } = "GET";

    public IUrl OriginalUrl { get; init; } = new Url("https://gw.local/echo/x?a=1");

    public IUrl Url { get; init; } = new Url("https://gw.local/echo/x?a=1");

    public IPrivateEndpointConnection? PrivateEndpointConnection => null;
}

internal sealed class TestResponse : IResponse
{
    public IMessageBody? Body { get; init; }

    public IReadOnlyDictionary<string, string[]> Headers { get; init; } = TestProxyContext.Headers();

    public int StatusCode { get; init; } = 200;

    public string StatusReason { get; init; } = "OK";
}

internal sealed class TestUser : IUser
{
    public string Email { get; init; } = "ada@example.com";

    public string FirstName { get; init; } = "Ada";

    public IEnumerable<IGroup> Groups { get; init; } = [];

    public string Id { get; init; } = "1";

    public IEnumerable<IUserIdentity> Identities { get; init; } = [];

    public string LastName { get; init; } = "Lovelace";

    public string? Note { get; init; }

    public DateTime RegistrationDate { get; init; } = new(2025, 1, 1, 0, 0, 0, DateTimeKind.Utc);
}
