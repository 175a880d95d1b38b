using System.Text.RegularExpressions;
using Microsoft.Extensions.Configuration;
using Tollgate.Hosting;
using Health = Tollgate.ServiceDefaults.Observability;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.Serialization;

namespace Tollgate.FunctionalTests.Deployment;

/// <summary>
/// deploy/ (Dockerfile, compose.yaml, k8s/) read as a container runtime would, without one: every Tollgate setting
/// the files give is a configuration key Tollgate reads, with a value it accepts, and every role's health checks and
/// probes point at the health endpoints on the port that role listens on.
/// </summary>
public sealed partial class DeploymentManifestTests
{
    private static readonly string Deploy = Path.Combine(AppContext.BaseDirectory, "deploy");

    /// <summary>The port each role listens on, read from its settings as Tollgate reads them.</summary>
    private static readonly Dictionary<string, Func<TollgateSettings, string>> RoleUrl = new()
    {
        ["gateway"] = s => s.Gateway.HttpUrl!,
        ["management"] = s => s.Management.Url,
        ["studio"] = s => s.Studio.Url,
    };

    [Fact]
    public void Dockerfile_IsMultiStage_RunsAsNonRoot_AndChecksLiveness()
    {
        var text = File.ReadAllText(Path.Combine(Deploy, "Dockerfile"));

        Assert.Equal(2, FromLine().Matches(text).Count);
        Assert.Contains("mcr.microsoft.com/dotnet/sdk:10.0 AS build", text, StringComparison.Ordinal);
        Assert.Contains("mcr.microsoft.com/dotnet/aspnet:10.0", text, StringComparison.Ordinal);
        Assert.Matches(@"(?m)^USER \$APP_UID$", text);
        Assert.Matches(@"(?m)^\s+CMD curl -fsS ""http://127\.0\.0\.1:\$\{TOLLGATE_HEALTH_PORT\}" + Regex.Escape(Health.LivePath) + @"""", text);
        Assert.Empty(UnknownKeys(DockerfileEnvironment()));
    }

    [Fact]
    public void Compose_EveryTollgateService_ReadsOnlyRealSettings_AndChecksHealthOnItsRolesPort()
    {
        var compose = Load(Path.Combine(Deploy, "compose.yaml")).Single();
        var services = Map(compose["services"]);
        var roles = new List<string>();
        foreach (var (name, value) in services)
        {
            var service = Map(value);
            if (!Equals(service.GetValueOrDefault("image"), "tollgate:local"))
            {
                continue;
            }

            var environment = DockerfileEnvironment();
            foreach (var (key, setting) in Map(service["environment"]))
            {
                environment[(string)key] = Interpolate((string)setting!);
            }

            var settings = Settings(environment, $"compose service {name}");
            var role = environment["Tollgate__Roles"];
            roles.Add(role);
            var port = new Uri(RoleUrl[role](settings)).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var check = List(Map(service["healthcheck"])["test"]).Select(o => (string)o!).ToList();
            Assert.Equal(["CMD", "curl", "-fsS", $"http://127.0.0.1:{port}{Health.ReadyPath}"], check);
            Assert.Equal(port, environment["TOLLGATE_HEALTH_PORT"]);
        }

        Assert.Equal(["gateway", "management", "studio"], roles.Order());
        Assert.Equal("3", Map(Map(services["gateway"])["deploy"])["replicas"]);
        Assert.Equal("2", Map(Map(services["management"])["deploy"])["replicas"]);
        Assert.Equal("2", Map(Map(services["studio"])["deploy"])["replicas"]);
        Assert.True(File.Exists(Path.Combine(Deploy, "nginx", "compose.conf")));
    }

    [Fact]
    public void Kubernetes_DeploymentsProbeTheHealthEndpoints_OnTheirRolesPort_AndReadOnlyRealSettings()
    {
        var documents = Directory.GetFiles(Path.Combine(Deploy, "k8s"), "*.yaml")
            .Where(f => Path.GetFileName(f) != "kustomization.yaml")
            .SelectMany(Load)
            .ToList();
        var shared = new Dictionary<string, string>();
        foreach (var kind in new[] { "ConfigMap", "Secret" })
        {
            var document = Assert.Single(documents, d => Equals(d["kind"], kind));
            foreach (var (key, value) in Map(document[kind == "ConfigMap" ? "data" : "stringData"]))
            {
                shared[(string)key] = (string)value!;
            }
        }

        var deployments = documents.Where(d => Equals(d["kind"], "Deployment")).ToList();
        Assert.Equal(3, deployments.Count);
        foreach (var deployment in deployments)
        {
            var name = (string)Map(deployment["metadata"])["name"]!;
            var spec = Map(Map(Map(deployment["spec"])["template"])["spec"]);
            var container = Map(Assert.Single(List(spec["containers"])));
            Assert.Equal("1654", Map(spec["securityContext"])["runAsUser"]);
            Assert.Equal(
                ["configMapRef:tollgate-config", "secretRef:tollgate-secrets"],
                List(container["envFrom"]).Select(e => Map(e).Single()).Select(p => $"{p.Key}:{Map(p.Value)["name"]}"));
            var environment = DockerfileEnvironment();
            foreach (var (key, value) in shared)
            {
                environment[key] = value;
            }

            foreach (var variable in List(container["env"]).Select(Map))
            {
                environment[(string)variable["name"]!] = (string)variable["value"]!;
            }

            var settings = Settings(environment, $"Deployment {name}");
            var role = environment["Tollgate__Roles"];
            Assert.Equal("tollgate-" + role, name);
            var port = new Uri(RoleUrl[role](settings)).Port.ToString(System.Globalization.CultureInfo.InvariantCulture);
            var declared = Map(Assert.Single(List(container["ports"])));
            Assert.Equal(("http", port), ((string)declared["name"]!, (string)declared["containerPort"]!));
            Assert.Equal(port, environment["TOLLGATE_HEALTH_PORT"]);
            foreach (var (probe, path) in new[] { ("readinessProbe", Health.ReadyPath), ("livenessProbe", Health.LivePath) })
            {
                var get = Map(Map(container[probe])["httpGet"]);
                Assert.Equal((path, "http"), ((string)get["path"]!, (string)get["port"]!));
            }

            var service = Assert.Single(documents, d => Equals(d["kind"], "Service") && Equals(Map(d["metadata"])["name"], name));
            Assert.Equal(name, Map(Map(service["spec"])["selector"])["app.kubernetes.io/name"]);
            Assert.Equal(("http", port), ((string)Map(Assert.Single(List(Map(service["spec"])["ports"])))["targetPort"]!,
                (string)Map(Assert.Single(List(Map(service["spec"])["ports"])))["port"]!));
        }

        var autoscaler = Assert.Single(documents, d => Equals(d["kind"], "HorizontalPodAutoscaler"));
        var target = Map(Map(autoscaler["spec"])["scaleTargetRef"]);
        Assert.Equal(("Deployment", "tollgate-gateway"), ((string)target["kind"]!, (string)target["name"]!));
        var listed = List(Map(Load(Path.Combine(Deploy, "k8s", "kustomization.yaml")).Single())["resources"]).Select(r => (string)r!).Order();
        Assert.Equal(Directory.GetFiles(Path.Combine(Deploy, "k8s"), "*.yaml").Select(Path.GetFileName).Where(f => f != "kustomization.yaml").Order(), listed);
    }

    [Fact]
    public void UnknownKeys_NamesASettingTollgateDoesNotRead()
    {
        var environment = new Dictionary<string, string>
        {
            ["Tollgate__Gateway__HttpUrl"] = "http://0.0.0.0:8080",
            ["Tollgate__Gateway__MangementUrl"] = "http://nginx:8081",
            ["Tollgate__Sectrets__Key"] = "x",
        };

        Assert.Equal(["Tollgate:Gateway:MangementUrl", "Tollgate:Sectrets:Key"], UnknownKeys(environment).Order());
    }

    /// <summary>The <c>ENV</c> of the Dockerfile's runtime stage: the defaults every container starts from.</summary>
    private static Dictionary<string, string> DockerfileEnvironment()
    {
        var text = File.ReadAllText(Path.Combine(Deploy, "Dockerfile")).Replace("\\\n", " ", StringComparison.Ordinal);
        var environment = new Dictionary<string, string>();
        foreach (var line in text.Split('\n').Where(l => l.StartsWith("ENV ", StringComparison.Ordinal)))
        {
            foreach (Match pair in EnvPair().Matches(line[4..]))
            {
                environment[pair.Groups[1].Value] = pair.Groups[2].Value;
            }
        }

        return environment;
    }

    /// <summary>Tollgate's settings from these environment variables, as the process reads them; a key it does not read fails the test.</summary>
    private static TollgateSettings Settings(Dictionary<string, string> environment, string where)
    {
        Assert.True(UnknownKeys(environment).Count == 0, $"{where}: Tollgate reads no setting {string.Join(", ", UnknownKeys(environment))}");
        return TollgateSettings.From(Configuration(environment));
    }

    /// <summary>Tollgate settings (<c>Tollgate__…</c>) among <paramref name="environment"/> that Tollgate does not read.</summary>
    private static List<string> UnknownKeys(Dictionary<string, string> environment)
    {
        var configuration = Configuration(environment);
        var unknown = new List<string>();
        var settings = new TollgateSettings();
        var sections = new Dictionary<string, object>(StringComparer.OrdinalIgnoreCase)
        {
            ["Gateway"] = settings.Gateway, ["Management"] = settings.Management, ["Store"] = settings.Store, ["Mail"] = settings.Mail,
            ["Studio"] = settings.Studio, ["Portal"] = settings.Portal, ["Analytics"] = settings.Analytics, ["Metrics"] = settings.Metrics,
        };
        foreach (var key in configuration.AsEnumerable().Select(p => p.Key).Where(k => k.StartsWith("Tollgate:", StringComparison.OrdinalIgnoreCase)))
        {
            var parts = key.Split(':');
            if (parts.Length < 2 || configuration[key] is null)
            {
                continue;
            }

            var known = parts[1] switch
            {
                _ when parts.Length == 2 => parts[1] is "DataDirectory" or "Roles",
                "Secrets" => parts.Length == 3 && parts[2] == "Key",
                _ when sections.TryGetValue(parts[1], out var target) => Binds(key, configuration[key]!, target),
                _ => false,
            };
            if (!known)
            {
                unknown.Add(key);
            }
        }

        return unknown;
    }

    /// <summary>True when binding this one key to its section's options finds a property for it.</summary>
    private static bool Binds(string key, string value, object target)
    {
        var section = string.Join(':', key.Split(':').Take(2));
        var one = new ConfigurationBuilder().AddInMemoryCollection([new(key, value)]).Build();
        try
        {
            one.GetSection(section).Bind(Activator.CreateInstance(target.GetType()), o => o.ErrorOnUnknownConfiguration = true);
            return true;
        }
        catch (InvalidOperationException ex) when (ex.Message.Contains("were not found on the instance", StringComparison.Ordinal))
        {
            return false;
        }
    }

    private static IConfiguration Configuration(Dictionary<string, string> environment) =>
        new ConfigurationBuilder()
            .AddInMemoryCollection(environment.Select(p => new KeyValuePair<string, string?>(p.Key.Replace("__", ":", StringComparison.Ordinal), p.Value)))
            .Build();

    /// <summary>Compose's <c>${NAME:-default}</c> and <c>${NAME:?message}</c>: the default, or a stand-in value.</summary>
    private static string Interpolate(string value) =>
        Variable().Replace(value, m => m.Groups[2].Value == "-" ? m.Groups[3].Value : "set-in-dotenv");

    private static List<Dictionary<object, object?>> Load(string path)
    {
        // MergingParser resolves compose's anchors and "<<" merge keys, as docker compose does.
        var parser = new MergingParser(new Parser(new StringReader(File.ReadAllText(path))));
        var deserializer = new DeserializerBuilder().Build();
        var documents = new List<Dictionary<object, object?>>();
        parser.Consume<StreamStart>();
        while (parser.Accept<DocumentStart>(out _))
        {
            documents.Add(deserializer.Deserialize<Dictionary<object, object?>>(parser));
        }

        return documents;
    }

    private static Dictionary<object, object?> Map(object? node) => Assert.IsType<Dictionary<object, object?>>(node);

    private static List<object?> List(object? node) => Assert.IsType<List<object?>>(node);

    [GeneratedRegex(@"(?m)^FROM ")]
    private static partial Regex FromLine();

    [GeneratedRegex(@"(\S+?)=(\S*)")]
    private static partial Regex EnvPair();

    [GeneratedRegex(@"\$\{(\w+)(?::([-?])([^}]*))?\}")]
    private static partial Regex Variable();
}
