using Tollgate.Security;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Tollgate.Core.Analytics;
using Tollgate.Core.Gateway;
using Tollgate.Gateway.Configuration;
using Tollgate.Gateway.Hosting;
using Tollgate.Management.Analytics;
using Tollgate.Management.Api;
using Tollgate.Management.Persistence;
using Tollgate.Management.Services;
using Tollgate.ServiceDefaults;
using Tollgate.Gateway.Policies.Counters;
using Tollgate.Gateway.Policies.Runtime;
using OpenTelemetry.Metrics;
using Tollgate.Studio.Api;
using Tollgate.Portal;

namespace Tollgate.Hosting;

/// <summary>
/// Hosts the selected roles in one process. Each role is its own web application on its own listeners;
/// they share the store, the secret vault and the in-process snapshot feed.
/// </summary>
public sealed class TollgateServer : IAsyncDisposable
{
    private readonly List<WebApplication> _apps = [];
    private readonly Dictionary<WebApplication, TollgateRoles> _roles = [];
    private readonly MeterProvider _meters = TollgateTelemetry.CreateMeterProvider();
    private GatewayUsageSource? _usage;
    private ServiceProvider? _usageStores;

    private TollgateServer(TollgateSettings settings, IResourceStore? store)
    {
        Settings = settings;
        Store = store;
    }

    public TollgateSettings Settings { get; }

    /// <summary>The store, when this process hosts management.</summary>
    public IResourceStore? Store { get; }

    /// <summary>The administrator credentials, when this process hosts management.</summary>
    public TenantAccess? TenantAccess { get; private set; }

    /// <summary>The management role's services, when this process hosts management.</summary>
    public IServiceProvider? Services { get; private set; }

    /// <summary>The request log hand-off between the gateway and management in this process.</summary>
    public RequestRecordChannel? RequestRecords { get; private set; }

    /// <summary>The Studio role's services, when this process hosts Studio.</summary>
    public IServiceProvider? StudioServices { get; private set; }

    private WebApplication? _studio;
    private WebApplication? _portal;
    private WebApplication? _metrics;

    /// <summary>The gateway's config provider, when this process hosts the gateway.</summary>
    public SnapshotProxyConfigProvider? Gateway { get; private set; }

    /// <summary>How long a readiness check may take before it counts as failed (a stopped PostgreSQL can take 15 s to time out).</summary>
    private static readonly TimeSpan HealthCheckTimeout = TimeSpan.FromSeconds(3);

    public static IResourceStore CreateStore(TollgateSettings settings, TimeProvider timeProvider) =>
        settings.Store.Provider.ToLowerInvariant() switch
        {
            "sqlite" => settings.Store.ConnectionString is { Length: > 0 } cs
                ? new SqliteResourceStore(cs, timeProvider)
                : SqliteResourceStore.ForDataDirectory(settings.DataDirectory, timeProvider),
            "postgres" or "postgresql" => new PostgresResourceStore(
                settings.Store.ConnectionString ?? throw new InvalidOperationException("Tollgate:Store:ConnectionString is required for the postgres store."), timeProvider),
            var other => throw new InvalidOperationException($"Tollgate:Store:Provider '{other}' is not known; use sqlite or postgres."),
        };

    /// <summary>Starts every configured role and returns once all of them listen.</summary>
    /// <param name="configuration">The configuration (<c>Tollgate:*</c>).</param>
    /// <param name="timeProvider">The clock; default the system's.</param>
    /// <param name="cancellationToken">Cancels the start.</param>
    /// <param name="configureStudio">Extra registrations for the Studio role's services (tests add observation hooks).</param>
    public static async Task<TollgateServer> StartAsync(IConfiguration configuration, TimeProvider? timeProvider = null, CancellationToken cancellationToken = default,
        Action<IServiceCollection>? configureStudio = null)
    {
        var settings = TollgateSettings.From(configuration);
        Listeners.Validate(settings);
        timeProvider ??= TimeProvider.System;
        PrivateFiles.CreateDirectory(settings.DataDirectory);
        var feed = new SnapshotFeed();
        var records = new RequestRecordChannel();
        IResourceStore? store = null;
        if (settings.Roles.HasFlag(TollgateRoles.Management))
        {
            store = CreateStore(settings, timeProvider);
            await store.InitializeAsync(cancellationToken);
        }
        else if (settings.Roles.HasFlag(TollgateRoles.Gateway) && string.IsNullOrEmpty(settings.Gateway.ManagementUrl))
        {
            throw new InvalidOperationException("A gateway without the management role needs Tollgate:Gateway:ManagementUrl and Tollgate:Gateway:ManagementToken to get its configuration.");
        }
        else if (settings.Roles.HasFlag(TollgateRoles.Portal) && (string.IsNullOrEmpty(settings.Portal.ManagementUrl) || string.IsNullOrEmpty(settings.Portal.ManagementKey)))
        {
            throw new StartupException("A portal without the management role needs Tollgate:Portal:ManagementUrl and Tollgate:Portal:ManagementKey (the tenant access key it signs management calls with).");
        }

        var server = new TollgateServer(settings, store);
        try
        {
            if (store is not null)
            {
                var usage = CreateUsageSource(settings, feed, timeProvider, server);
                var app = BuildManagement(configuration, settings, store, feed, records, timeProvider, server._meters, usage);
                server._usage = usage;
                server.TenantAccess = app.Services.GetRequiredService<TenantAccess>();
                server.Services = app.Services;
                server.RequestRecords = records;
                await server.TenantAccess.GetAsync(cancellationToken);
                await app.Services.GetRequiredService<PortalAdministrator>().EnsureCreatedAsync(cancellationToken);
                await app.Services.GetRequiredService<SnapshotPublisher>().PublishAllAsync(cancellationToken);
                server.Add(app, TollgateRoles.Management);
            }

            if (settings.Roles.HasFlag(TollgateRoles.Studio))
            {
                var app = BuildStudio(configuration, settings, timeProvider, configureStudio);
                server._studio = app;
                server.StudioServices = app.Services;
                server.Add(app, TollgateRoles.Studio);
            }

            if (settings.Roles.HasFlag(TollgateRoles.Gateway))
            {
                // In one process with management the gateway hands records to its writer; apart from it, to the shipper
                // that posts them to management.
                var gatewayRecords = !settings.AnalyticsEnabled ? null : store is not null ? records : new RequestRecordChannel();
                var app = BuildGateway(configuration, settings, gatewayRecords, timeProvider);
                var provider = app.Services.GetRequiredService<SnapshotProxyConfigProvider>();
                if (store is not null)
                {
                    feed.Published += snapshot => provider.Apply(snapshot);
                    foreach (var name in feed.Services.Order(StringComparer.OrdinalIgnoreCase))
                    {
                        provider.Apply(feed.Get(name)!);
                    }
                }

                server.Gateway = provider;
                if (server._usage is { Reader: null } usage)
                {
                    // The gateway's own stores: in-process counters are only readable here.
                    usage.Reader = new SubscriptionUsageReader(app.Services.GetRequiredService<IRateLimitStore>(), app.Services.GetRequiredService<IQuotaStore>());
                }
                server.Add(app, TollgateRoles.Gateway);
            }

            if (settings.Roles.HasFlag(TollgateRoles.Portal))
            {
                var app = BuildPortal(configuration, settings, server.TenantAccess, server.StudioServices?.GetRequiredService<StudioWorkspace>(), timeProvider);
                server._portal = app;
                server.Add(app, TollgateRoles.Portal);
            }

            if (!string.IsNullOrEmpty(settings.Metrics.Url))
            {
                server._metrics = BuildMetrics(configuration, settings.Metrics.Url, server._meters);
                server._apps.Add(server._metrics);
            }

            foreach (var app in server._apps)
            {
                try
                {
                    Listeners.EnsureFree(settings, server._roles.GetValueOrDefault(app));
                    await app.StartAsync(cancellationToken);
                }
                catch (Exception ex) when (Listeners.Explain(settings, server._roles.GetValueOrDefault(app), ex) is { } explained)
                {
                    throw explained;
                }
            }

            server.RecordBoundAddresses();

            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    private void Add(WebApplication app, TollgateRoles role)
    {
        _apps.Add(app);
        _roles[app] = role;
    }

    /// <summary>
    /// Replaces configured URLs with the addresses actually bound, so a port of 0 (any free port, as tests use)
    /// reads back as the real one.
    /// </summary>
    private void RecordBoundAddresses()
    {
        foreach (var app in _apps)
        {
            var addresses = app.Services.GetRequiredService<Microsoft.AspNetCore.Hosting.Server.IServer>().Features
                .Get<Microsoft.AspNetCore.Hosting.Server.Features.IServerAddressesFeature>()?.Addresses ?? [];
            var http = addresses.FirstOrDefault(a => a.StartsWith("http://", StringComparison.OrdinalIgnoreCase));
            var https = addresses.FirstOrDefault(a => a.StartsWith("https://", StringComparison.OrdinalIgnoreCase));
            if (ReferenceEquals(app, _metrics))
            {
                Settings.Metrics.Url = http ?? Settings.Metrics.Url;
            }
            else if (ReferenceEquals(app, _studio))
            {
                Settings.Studio.Url = http ?? Settings.Studio.Url;
            }
            else if (ReferenceEquals(app, _portal))
            {
                Settings.Portal.Url = http ?? Settings.Portal.Url;
            }
            else if (ReferenceEquals(app.Services.GetService<SnapshotProxyConfigProvider>(), Gateway) && Gateway is not null)
            {
                Settings.Gateway.HttpUrl = string.IsNullOrEmpty(Settings.Gateway.HttpUrl) ? Settings.Gateway.HttpUrl : http ?? Settings.Gateway.HttpUrl;
                Settings.Gateway.HttpsUrl = string.IsNullOrEmpty(Settings.Gateway.HttpsUrl) ? Settings.Gateway.HttpsUrl : https ?? Settings.Gateway.HttpsUrl;
            }
            else
            {
                Settings.Management.Url = string.IsNullOrEmpty(Settings.Management.Url) ? Settings.Management.Url : http ?? Settings.Management.Url;
                Settings.Management.HttpsUrl = string.IsNullOrEmpty(Settings.Management.HttpsUrl) ? Settings.Management.HttpsUrl : https ?? Settings.Management.HttpsUrl;
            }
        }

        if (_portal is not null && Settings.Roles.HasFlag(TollgateRoles.Management))
        {
            // The in-process portal calls this process's management listener, wherever it was bound.
            Settings.Portal.ManagementUrl = Settings.Management.Url;
        }

        if (_portal is not null && _studio is not null)
        {
            // The in-process portal calls this process's Studio listener, wherever it was bound.
            Settings.Portal.StudioUrl = Settings.Studio.Url;
        }

        // The gatewayUrl and developerPortalUrl shown on instances were derived from the configured URLs; show the bound ones.
        if (Gateway is not null || _portal is not null)
        {
            Settings.DeriveGatewayUrls();
        }
    }

    private static WebApplication BuildManagement(IConfiguration configuration, TollgateSettings settings, IResourceStore store, SnapshotFeed feed,
        RequestRecordChannel records, TimeProvider timeProvider, MeterProvider meters, GatewayUsageSource? usage)
    {
        var builder = CreateBuilder(configuration);
        if (usage is not null)
        {
            builder.Services.AddSingleton<ICurrentUsageSource>(usage);
        }

        builder.Services.AddHealthChecks().AddCheck<StoreHealthCheck>("store", tags: [Observability.ReadyTag], timeout: HealthCheckTimeout);
        builder.Services.AddSingleton(records);
        builder.Services.AddSingleton((IAnalyticsStore)store);
        builder.Services.AddSingleton<KeyUsage>();
        builder.Services.AddSingleton<AnalyticsWriter>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AnalyticsWriter>());
        builder.Services.AddSingleton(settings.Analytics);
        builder.Services.AddSingleton<AnalyticsRetention>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<AnalyticsRetention>());
        builder.Services.AddSingleton(timeProvider);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(feed);
        builder.Services.AddSingleton(settings.Management);
        builder.Services.AddSingleton(SecretVault.Load(settings.SecretsKey, settings.DataDirectory));
        builder.Services.AddSingleton<TenantAccess>();
        builder.Services.AddSingleton<ServicePrincipals>();
        builder.Services.AddSingleton<ExportLinks>();
        builder.Services.AddSingleton<LinkedDocuments>();
        builder.Services.AddSingleton(sp => new PortalAdministrator(store, sp.GetRequiredService<SecretVault>(), timeProvider, settings.DataDirectory));
        builder.Services.AddSingleton<SnapshotPublisher>();
        if (store is IRevisionNotifications notifications)
        {
            // Several management nodes on one PostgreSQL: each follows the others' writes (SQLite has one node).
            builder.Services.AddSingleton(notifications);
            builder.Services.AddSingleton(settings.Store);
            builder.Services.AddHostedService<RevisionFollower>();
        }
        // E-mail: the outbox under {data}/mail, delivered in the background over SMTP or into the mail folder.
        builder.Services.AddSingleton(settings.Mail);
        builder.Services.AddSingleton(new Tollgate.Management.Mail.MailOutbox(Path.Combine(settings.DataDirectory, "mail"), timeProvider));
        builder.Services.AddSingleton<Tollgate.Management.Mail.IMailTransport>(sp => settings.Mail.UsesSmtp
            ? new Tollgate.Management.Mail.SmtpMailTransport(settings.Mail.Smtp, sp.GetRequiredService<Tollgate.Management.Mail.MailOutbox>())
            : new Tollgate.Management.Mail.FolderMailTransport(sp.GetRequiredService<Tollgate.Management.Mail.MailOutbox>()));
        builder.Services.AddSingleton<Tollgate.Management.Mail.MailDelivery>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Tollgate.Management.Mail.MailDelivery>());
        builder.Services.AddSingleton<AccountTokens>();
        builder.Services.AddSingleton<Tollgate.Management.Mail.MailNotifications>();
        builder.Services.AddSingleton<Tollgate.Management.Mail.IResourceWriteObserver>(sp => sp.GetRequiredService<Tollgate.Management.Mail.MailNotifications>());
        builder.Services.AddSingleton<Tollgate.Management.Mail.MailResources>();
        builder.Services.AddSingleton<Tollgate.Management.Mail.QuotaWatch>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<Tollgate.Management.Mail.QuotaWatch>());
        builder.Services.AddSingleton<Tollgate.Management.Mail.MailFolder>();
        builder.Services.AddSingleton<ResourceService>();
        builder.Services.AddSingleton<KeyLifecycle>();
        builder.Services.AddHostedService(sp => sp.GetRequiredService<KeyLifecycle>());
        builder.Services.AddSingleton<DeveloperAccounts>();
        builder.Services.AddSingleton<UserTokens>();
        builder.Services.AddSingleton<Tollgate.Core.Policies.IPolicyBuildCheck>(new Tollgate.Gateway.Policies.Runtime.PolicyBuildCheck(timeProvider));
        builder.Services.AddSingleton<PolicyService>();
        builder.Services.AddSingleton<OpenApiService>();
        var certificate = string.IsNullOrEmpty(settings.Management.HttpsUrl) ? null : ManagementCertificate(settings, timeProvider);
        builder.WebHost.ConfigureKestrel(k =>
        {
            if (!string.IsNullOrEmpty(settings.Management.Url))
            {
                GatewayHost.Listen(k, settings.Management.Url, null);
            }

            if (certificate is not null)
            {
                GatewayHost.Listen(k, settings.Management.HttpsUrl!, listen => listen.UseHttps(certificate));
            }
        });
        var app = builder.Build();
        app.UseRequestIds(RequestIds.AzureHeader, timeProvider);
        app.UseSharedAccessSignature();
        app.MapTollgateObservability(meters);
        app.MapManagementApi();
        app.MapServicePrincipals();
        Tollgate.Management.Mail.MailFolderEndpoints.MapMailFolder(app);
        ExportLinks.MapExportLinks(app);
        app.MapGet("/openapi/management.json", () => Microsoft.AspNetCore.Http.Results.File(
            Path.Combine(AppContext.BaseDirectory, "management-openapi.json"), "application/json"));
        return app;
    }

    /// <summary>
    /// The management API's HTTPS certificate: its own PFX when configured, else the gateway's (configured, or the
    /// self-signed one in the data directory), so one certificate is trusted for both.
    /// </summary>
    internal static System.Security.Cryptography.X509Certificates.X509Certificate2 ManagementCertificate(TollgateSettings settings, TimeProvider time) =>
        string.IsNullOrEmpty(settings.Management.CertificatePath)
            ? GatewayCertificate.LoadOrCreate(settings.Gateway, settings.DataDirectory, time)
            : System.Security.Cryptography.X509Certificates.X509CertificateLoader.LoadPkcs12FromFile(settings.Management.CertificatePath, settings.Management.CertificatePassword);

    /// <summary>A listener of its own serving only the process's <c>/metrics</c> (<c>Tollgate:Metrics:Url</c>).</summary>
    private static WebApplication BuildMetrics(IConfiguration configuration, string url, MeterProvider meters)
    {
        var builder = CreateBuilder(configuration);
        builder.WebHost.ConfigureKestrel(k => GatewayHost.Listen(k, url, null));
        var app = builder.Build();
        app.UseRouting();
        app.MapPrometheusScrapingEndpoint(Observability.MetricsPath, meters, null, null);
        return app;
    }

    private static WebApplication BuildStudio(IConfiguration configuration, TollgateSettings settings, TimeProvider timeProvider, Action<IServiceCollection>? configure)
    {
        var builder = CreateBuilder(configuration);
        builder.Services.AddSingleton(timeProvider);
        builder.Services.AddStudio(settings.Studio, Tollgate.Security.SecretProtector.Load(settings.SecretsKey, settings.DataDirectory));
        builder.Services.AddHealthChecks().AddCheck<Tollgate.Studio.Api.StudioStoreHealthCheck>("store", tags: [Observability.ReadyTag], timeout: HealthCheckTimeout);
        configure?.Invoke(builder.Services);
        builder.WebHost.ConfigureKestrel(k => GatewayHost.Listen(k, settings.Studio.Url, null));
        var app = builder.Build();
        // Created now so the meter provider sees its instruments from the first scrape.
        app.Services.GetRequiredService<Tollgate.Studio.Api.StudioMetrics>();
        app.UseRequestIds(RequestIds.AzureHeader, timeProvider);
        // No /metrics on Studio's listener: management's (or Tollgate:Metrics:Url) serves the process's metrics.
        app.MapTollgateObservability(null);
        app.MapStudio();
        return app;
    }

    /// <summary>
    /// The portal: in one process with management it signs its calls with management's own tenant key (short-lived
    /// tokens); alone it signs with <c>Tollgate:Portal:ManagementKey</c>. Either way it only calls the management API.
    /// </summary>
    private static WebApplication BuildPortal(IConfiguration configuration, TollgateSettings settings, TenantAccess? tenant, StudioWorkspace? studio, TimeProvider timeProvider)
    {
        var builder = CreateBuilder(configuration, applicationName: typeof(TollgateServer).Assembly.GetName().Name);
        builder.Services.AddSingleton(timeProvider);
        builder.Services.AddHealthChecks();
        Tollgate.Portal.Management.IManagementTokenSource tokens = tenant is not null
            ? new Tollgate.Portal.Management.DelegateTokenSource(ct => tenant.CreateTokenAsync(TimeSpan.FromMinutes(10), ct), timeProvider)
            : new Tollgate.Portal.Management.SigningTokenSource(settings.Portal.ManagementKeyId, settings.Portal.ManagementKey!, timeProvider);
        var options = settings.Portal;
        if (tenant is not null)
        {
            // Read when each client is made: RecordBoundAddresses sets the bound address (port 0 in tests) before any request.
            options.ManagementUrl = settings.Management.Url;
        }

        if (studio is not null)
        {
            // The Studio pages call this process's Studio listener, and the administrator opens them with its token.
            options.StudioUrl = settings.Studio.Url;
        }

        var studioTokens = studio is not null
            ? new Tollgate.Portal.Studio.StudioTokenSource(() => studio.Current.AuthorizationToken)
            : new Tollgate.Portal.Studio.StudioTokenSource(() => options.StudioToken);
        builder.AddTollgatePortal(options, tokens, settings.DataDirectory, studioTokens);
        builder.WebHost.ConfigureKestrel(k => GatewayHost.Listen(k, options.Url, null));
        var app = builder.Build();
        app.UseRequestIds(RequestIds.AzureHeader, timeProvider);
        app.MapTollgateObservability(null);
        app.UseTollgatePortal();
        return app;
    }

    /// <summary>
    /// The subscriptions' current windows for management: from the gateway role when it runs here (set once it is
    /// built), else from Redis when the counters live there; none when they live in another process's memory.
    /// </summary>
    private static GatewayUsageSource? CreateUsageSource(TollgateSettings settings, SnapshotFeed feed, TimeProvider timeProvider, TollgateServer server)
    {
        if (settings.Roles.HasFlag(TollgateRoles.Gateway))
        {
            return new GatewayUsageSource(feed);
        }

        if (!string.Equals(settings.Gateway.Counters.Provider, CounterStoreOptions.RedisProvider, StringComparison.OrdinalIgnoreCase))
        {
            return null;
        }

        var services = new ServiceCollection().AddSingleton(timeProvider).AddLogging();
        services.AddTollgateCounterStores(settings.Gateway.Counters, settings.DataDirectory);
        server._usageStores = services.BuildServiceProvider();
        return new GatewayUsageSource(feed)
        {
            Reader = new SubscriptionUsageReader(server._usageStores.GetRequiredService<IRateLimitStore>(), server._usageStores.GetRequiredService<IQuotaStore>()),
        };
    }

    private static WebApplication BuildGateway(IConfiguration configuration, TollgateSettings settings, RequestRecordChannel? records, TimeProvider timeProvider)
    {
        var builder = CreateBuilder(configuration);
        if (configuration.GetSection("Logging:LogLevel")[HostingDiagnostics] is null)
        {
            // ASP.NET Core's hosting starts an Activity and a logging scope for every request while its logger is enabled
            // at any level, even with nothing listening: a cost on every proxied call. The gateway gives each call its
            // request id and logging scope itself (RequestTelemetryMiddleware); configure this category to have them back.
            builder.Logging.AddFilter(HostingDiagnostics, LogLevel.None);
        }

        var health = builder.Services.AddHealthChecks();
        if (!string.IsNullOrEmpty(settings.Gateway.ManagementUrl))
        {
            health.AddCheck<GatewayConfigurationHealthCheck>("configuration", tags: [Observability.ReadyTag]);
        }

        if (string.Equals(settings.Gateway.Counters.Provider, Tollgate.Gateway.Policies.Counters.CounterStoreOptions.RedisProvider, StringComparison.OrdinalIgnoreCase))
        {
            health.AddCheck<Tollgate.Gateway.Policies.Counters.RedisHealthCheck>("redis", tags: [Observability.ReadyTag], timeout: HealthCheckTimeout);
        }

        if (records is not null)
        {
            // Every call is recorded for the reports: in one process with management straight to its writer, apart
            // from it through the shipper (GatewayHost).
            builder.Services.AddSingleton(records);
        }

        builder.Services.AddSingleton(timeProvider);
        builder.AddTollgateGateway(settings.Gateway, settings.DataDirectory);
        var app = builder.Build();
        TollgateTelemetry.WithoutAspNetCoreRequestMetrics(app.Services.GetRequiredService<System.Diagnostics.Metrics.IMeterFactory>());
        // Health stays public (load balancers probe it); /metrics never is on the gateway's listeners: it names
        // APIs, operations, products and counts (management's listener or Tollgate:Metrics:Url serve it).
        app.MapTollgateObservability(null);
        app.UseTollgateGateway();
        return app;
    }

    /// <summary>The log category of ASP.NET Core's per-request hosting diagnostics (request started/finished).</summary>
    private const string HostingDiagnostics = "Microsoft.AspNetCore.Hosting.Diagnostics";

    private static WebApplicationBuilder CreateBuilder(IConfiguration configuration, string? applicationName = null)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, Args = [], ApplicationName = applicationName });
        builder.WebHost.UseKestrelHttpsConfiguration();
        builder.Configuration.Sources.Clear();
        builder.Configuration.AddConfiguration(configuration);
        builder.Logging.ClearProviders();
        builder.Logging.AddConfiguration(configuration.GetSection("Logging"));
        // Scopes on: every log line of a request carries its RequestId. Logging:Console:FormatterName=json for JSON lines.
        if (string.Equals(configuration["Logging:Console:FormatterName"], "json", StringComparison.OrdinalIgnoreCase))
        {
            builder.Logging.AddJsonConsole(o => o.IncludeScopes = true);
        }
        else
        {
            builder.Logging.AddSimpleConsole(o =>
            {
                o.SingleLine = true;
                o.TimestampFormat = "HH:mm:ss ";
                o.IncludeScopes = true;
            });
        }
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(5));
        builder.Services.AddSingleton<IHostLifetime, CommandOwnedLifetime>();
        return builder;
    }

    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        foreach (var app in Enumerable.Reverse(_apps))
        {
            await app.StopAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var app in Enumerable.Reverse(_apps))
        {
            await app.DisposeAsync();
        }

        _apps.Clear();
        _meters.Dispose();
        if (_usageStores is not null)
        {
            await _usageStores.DisposeAsync();
        }
        if (Store is not null)
        {
            await Store.DisposeAsync();
        }
    }
}

/// <summary>
/// The roles' hosts do not listen to SIGINT/SIGTERM themselves: the <c>tollgate</c> command owns process signals
/// and stops every role in order (several hosts each with a console lifetime would race for the same signal).
/// </summary>
internal sealed class CommandOwnedLifetime : IHostLifetime
{
    public Task WaitForStartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
}
