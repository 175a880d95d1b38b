using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Spectre.Console;
using Tollgate.Security;
using Tollgate.Demo;
using Tollgate.Hosting;
using Tollgate.Management.Api;
using Tollgate.Management.Services;
using Tollgate.Studio.Api;

namespace Tollgate.Commands;

/// <summary>The <c>tollgate</c> command line: run, demo, token, openapi, certificate, and the client commands (<see cref="ClientCommands"/>).</summary>
public static class TollgateCli
{
    public static RootCommand Build()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory for the SQLite store, keys and certificates (default ./data; Tollgate:DataDirectory)." };
        var roles = new Option<string?>("--roles") { Description = "Roles to host, comma-separated: gateway, management, studio, portal (default: all)." };

        var run = new Command("run", "Run Tollgate: the gateway (http://127.0.0.1:5080, https://127.0.0.1:5443), the management API (https://127.0.0.1:5444, http://127.0.0.1:5081), Studio (http://127.0.0.1:5082: experiments, RRS/BES web services) and the portal (http://127.0.0.1:5083/admin: the publisher portal) in one process.")
        {
            dataDir, roles,
        };
        run.SetAction(Guarded(async (parse, ct) =>
        {
            var configuration = Configuration(parse.GetValue(dataDir), parse.GetValue(roles));
            await using var server = await TollgateServer.StartAsync(configuration, cancellationToken: ct);
            PrintEndpoints(server.Settings);
            AnsiConsole.MarkupLine("[grey]Press Ctrl+C to stop.[/]");
            await WaitForShutdownAsync(ct);
            await StopAsync(server);
            return 0;
        }));

        var demo = new Command("demo", "Run everything on this machine with the tutorial preloaded: Part 1 in Studio (the SimpleFeatureHashingExperiment on the book reviews sample, published as a web service, and a second published service classifying the reviews: Feature Hashing of Col2 and a two-class model on rating 4 or more, set up with Set Up Web Service) and Part 2 in API management (the AzureML Demo API with its five operations in the Starter product, in front of both web services). BES uses Azurite (.tools/node_modules/.bin/azurite-blob or PATH), installed there with npm on the first run when it is missing.")
        {
            dataDir,
        };
        demo.SetAction(Guarded(async (parse, ct) =>
        {
            var directory = parse.GetValue(dataDir);
            var extra = new Dictionary<string, string?>();
            var initial = TollgateSettings.From(Configuration(directory, "all"));
            DemoAzurite? azurite = null;
            string storageNote;
            if (!string.IsNullOrWhiteSpace(initial.Studio.DefaultStorageConnectionString))
            {
                storageNote = "BES default storage: Tollgate:Studio:DefaultStorageConnectionString";
            }
            else
            {
                var tools = Configuration(directory, "all")["Tollgate:Demo:ToolsDirectory"];
                var executable = DemoAzurite.Find(initial.DataDirectory, tools);
                string? missing = null;
                if (executable is null && DemoAzurite.FindNpm() is { } npm)
                {
                    var into = DemoAzurite.InstallDirectory(initial.DataDirectory, tools);
                    AnsiConsole.MarkupLine(Markup.Escape($"Installing Azurite ({DemoAzurite.Package}, the Azure Blob emulator BES uses) into {into} with npm; this happens once…"));
                    try
                    {
                        executable = await DemoAzurite.InstallAsync(npm, into, ct);
                    }
                    catch (InvalidOperationException ex)
                    {
                        missing = $"BES: Azurite could not be installed ({ex.Message}); jobs need an Azure Blob connection string of your own (Tollgate:Studio:DefaultStorageConnectionString).";
                    }
                }
                else if (executable is null)
                {
                    missing = $"BES: Azurite is not installed and npm is not on the PATH (apt-get install nodejs npm, then run the demo again; or npm install --prefix .tools {DemoAzurite.Package}); jobs need an Azure Blob connection string of your own.";
                }

                if (executable is not null)
                {
                    var port = int.TryParse(Configuration(directory, "all")["Tollgate:Demo:AzuritePort"], out var p) ? p : 10000;
                    try
                    {
                        azurite = await DemoAzurite.StartAsync(executable, port, Path.Combine(initial.DataDirectory, "azurite"), ct);
                        extra["Tollgate:Studio:DefaultStorageConnectionString"] = azurite.ConnectionString;
                        storageNote = $"BES default storage: Azurite at http://127.0.0.1:{port}/devstoreaccount1 (account devstoreaccount1, the well-known development key)";
                    }
                    catch (InvalidOperationException ex)
                    {
                        storageNote = "BES: Azurite could not start (" + ex.Message + "; set Tollgate:Demo:AzuritePort to a free port); jobs must name their output blobs, and their storage must be reachable.";
                    }
                }
                else
                {
                    storageNote = missing!;
                }
            }

            await using var storage = azurite;
            var configuration = Configuration(directory, "all", extra);
            await using var server = await TollgateServer.StartAsync(configuration, cancellationToken: ct);
            var settings = server.Settings;
            using var http = ManagementHttpClient(settings);
            var workspaceToken = server.StudioServices!.GetRequiredService<StudioWorkspace>().Current.AuthorizationToken;
            var token = await server.TenantAccess!.CreateTokenAsync(TimeSpan.FromDays(30), ct);
            var (client, key, published, classifier) = await LoadTutorialAsync(http, ManagementBaseUrl(settings), token, settings.Studio.Url, workspaceToken, ["https"], ct);
            var credentials = await server.TenantAccess.GetAsync(ct);
            var adminPassword = server.Services!.GetRequiredService<PortalAdministrator>().ReadInitialPassword();
            PrintDemo(settings, client, credentials, token, key, published!, classifier!, workspaceToken, storageNote, adminPassword);
            await WaitForShutdownAsync(ct);
            await StopAsync(server);
            return 0;
        }));

        var managementUrl = new Option<string>("--management-url") { Description = "The management API (a node or the balancer in front of the nodes), e.g. http://127.0.0.1:5081.", Required = true };
        var managementToken = new Option<string?>("--token") { Description = "A SharedAccessSignature for the management API (tollgate token); default: TOLLGATE_TOKEN." };
        var studioUrl = new Option<string>("--studio-url") { Description = "Studio's API (a node or the balancer in front of the nodes): the AzureML Demo API's backend.", Required = true };
        var studioToken = new Option<string?>("--studio-token") { Description = "Studio's workspace token: with it, Part 1 (the two published web services) is loaded into Studio too." };
        var protocols = new Option<string>("--protocols") { Description = "Protocols of the AzureML Demo API, comma-separated (default https; http,https behind a balancer that speaks HTTP to the gateways).", DefaultValueFactory = _ => "https" };
        var tutorial = new Command("tutorial", "Load the tutorial into a running installation, as the demo loads it into its own process: Part 2 in API management (the AzureML Demo API in the Starter product) and, given Studio's workspace token, Part 1 in Studio. Prints the Starter subscription key.")
        {
            managementUrl, managementToken, studioUrl, studioToken, protocols,
        };
        tutorial.SetAction(Guarded(async (parse, ct) =>
        {
            var signature = parse.GetValue(managementToken) ?? Environment.GetEnvironmentVariable("TOLLGATE_TOKEN");
            if (string.IsNullOrEmpty(signature))
            {
                await Console.Error.WriteLineAsync("tollgate tutorial: --token or TOLLGATE_TOKEN is required (tollgate token prints one).");
                return 1;
            }

            using var http = new HttpClient();
            var served = parse.GetValue(protocols)!.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            var loaded = await LoadTutorialAsync(http, parse.GetValue(managementUrl)!, signature, parse.GetValue(studioUrl)!, parse.GetValue(studioToken), served, ct);
            Console.WriteLine($"Starter subscription key: {loaded.Key}");
            foreach (var service in new[] { loaded.Published, loaded.Classifier }.OfType<StudioTutorialSetup.Published>())
            {
                Console.WriteLine($"Web service {service.EndpointId} (workspace {service.WorkspaceId}): ML API key {service.PrimaryKey}");
            }

            return 0;
        }));

        var lifetime = new Option<TimeSpan>("--lifetime") { Description = "How long the token stays valid (default 1 day, at most 30 days), e.g. 8:00:00 or 30.00:00:00.", DefaultValueFactory = _ => TimeSpan.FromDays(1) };
        var token = new Command("token", "Print a SharedAccessSignature for the management API's Authorization header, signed with the administrator key in the data directory.")
        {
            dataDir, lifetime,
        };
        token.SetAction(Guarded(async (parse, ct) =>
        {
            var requested = parse.GetValue(lifetime);
            if (requested <= TimeSpan.Zero || requested > SharedAccessSignature.MaxLifetime)
            {
                await Console.Error.WriteLineAsync($"--lifetime must be more than 0 and at most {SharedAccessSignature.MaxLifetime.TotalDays:0} days (30.00:00:00); got {requested}.");
                return 1;
            }

            var settings = TollgateSettings.From(Configuration(parse.GetValue(dataDir), null));
            await using var store = TollgateServer.CreateStore(settings, TimeProvider.System);
            await store.InitializeAsync(ct);
            var tenant = new TenantAccess(store, SecretVault.Load(settings.SecretsKey, settings.DataDirectory), TimeProvider.System);
            Console.WriteLine(await tenant.CreateTokenAsync(parse.GetValue(lifetime), ct));
            return 0;
        }));

        var output = new Option<string?>("--output") { Description = "File to write (default: standard output)." };
        var openapi = new Command("openapi", "Write the OpenAPI 3 document of the management API.") { output };
        openapi.SetAction(parse =>
        {
            var json = ManagementOpenApi.Generate();
            if (parse.GetValue(output) is { } file)
            {
                File.WriteAllText(file, json);
            }
            else
            {
                Console.WriteLine(json);
            }

            return 0;
        });

        var pemOutput = new Option<string?>("--output") { Description = "File to write the PEM to (default: standard output)." };
        var certificate = new Command("certificate", "Print the HTTPS certificate of the management API and the gateway (PEM, public part only), for clients to trust it: NODE_EXTRA_CA_CERTS, REQUESTS_CA_BUNDLE, curl --cacert. Made on first start when none is configured.")
        {
            dataDir, pemOutput,
        };
        certificate.SetAction(Guarded((parse, ct) =>
        {
            var settings = TollgateSettings.From(Configuration(parse.GetValue(dataDir), null));
            using var cert = TollgateServer.ManagementCertificate(settings, TimeProvider.System);
            var pem = cert.ExportCertificatePem() + "\n";
            if (parse.GetValue(pemOutput) is { } file)
            {
                File.WriteAllText(file, pem);
            }
            else
            {
                Console.Write(pem);
            }

            return Task.FromResult(0);
        }));

        var studioTokenCommand = new Command("studio-token", "Print Studio's workspace token (what Studio's own API takes as its Authorization), read from Studio's store with the same settings as a Studio node: the data directory's SQLite, or PostgreSQL with Tollgate:Studio:Store; makes the workspace when there is none yet.")
        {
            dataDir,
        };
        studioTokenCommand.SetAction(Guarded(async (parse, ct) =>
        {
            var settings = TollgateSettings.From(Configuration(parse.GetValue(dataDir), null));
            var services = new ServiceCollection();
            services.AddStudio(settings.Studio, SecretProtector.Load(settings.SecretsKey, settings.DataDirectory));
            await using var provider = services.BuildServiceProvider();
            var store = provider.GetRequiredService<Tollgate.Studio.Storage.StudioStore>();
            await store.InitializeAsync(ct);
            Console.WriteLine((await store.GetOrCreateWorkspaceAsync(TimeProvider.System, ct)).AuthorizationToken);
            return 0;
        }));

        var root = new RootCommand("Tollgate: self-hosted API management for machine-learning web services (APIM-compatible gateway and management API, and Studio: experiments published as Azure ML Studio classic RRS/BES web services).")
        {
            run, demo, tutorial, token, studioTokenCommand, openapi, certificate,
        };
        foreach (var client in ClientCommands.Build())
        {
            root.Subcommands.Add(client);
        }

        return root;
    }

    /// <summary>What loading the tutorial made: the management client of the instance, the Starter key, and Part 1's web services (when Studio was loaded).</summary>
    private sealed record LoadedTutorial(ManagementClient Client, string Key, StudioTutorialSetup.Published? Published, StudioTutorialSetup.Published? Classifier);

    /// <summary>
    /// The tutorial over HTTP, as a user would do it (<c>demo</c> in its own process, <c>tutorial</c> into a running
    /// installation): Part 1 in Studio when a workspace token is given, then Part 2 in API management in front of
    /// <paramref name="studioUrl"/>.
    /// </summary>
    private static async Task<LoadedTutorial> LoadTutorialAsync(HttpClient http, string managementUrl, string token, string studioUrl, string? workspaceToken,
        IReadOnlyList<string> protocols, CancellationToken ct)
    {
        StudioTutorialSetup.Published? published = null, classifier = null;
        if (!string.IsNullOrEmpty(workspaceToken))
        {
            published = await StudioTutorialSetup.RunAsync(http, studioUrl, workspaceToken, ct);
            classifier = await StudioClassifierSetup.RunAsync(http, studioUrl, workspaceToken, ct);
        }

        var client = new ManagementClient(http, managementUrl, token, TutorialSetup.SubscriptionId, TutorialSetup.ResourceGroup, TutorialSetup.ServiceName);
        var key = await TutorialSetup.RunAsync(client, studioUrl, protocols, ct);
        return new LoadedTutorial(client, key, published, classifier);
    }

    /// <summary>
    /// Runs a command; a <see cref="StartupException"/> (busy port, bad setting) is printed as one line on standard
    /// error and the command exits 1, with no stack trace.
    /// </summary>
    private static Func<ParseResult, CancellationToken, Task<int>> Guarded(Func<ParseResult, CancellationToken, Task<int>> action) => async (parse, ct) =>
    {
        try
        {
            return await action(parse, ct);
        }
        catch (StartupException ex)
        {
            await Console.Error.WriteLineAsync("tollgate: " + ex.Message);
            return 1;
        }
    };

    /// <summary>appsettings.json beside the executable, then ./tollgate.json, then Tollgate__* environment variables, then the options.</summary>
    public static IConfiguration Configuration(string? dataDir, string? roles, IDictionary<string, string?>? extra = null)
    {
        var overrides = new Dictionary<string, string?>(extra ?? new Dictionary<string, string?>());
        if (dataDir is not null)
        {
            overrides["Tollgate:DataDirectory"] = dataDir;
        }

        if (roles is not null)
        {
            overrides["Tollgate:Roles"] = roles;
        }

        return new ConfigurationBuilder()
            .SetBasePath(AppContext.BaseDirectory)
            .AddJsonFile("appsettings.json", optional: true)
            .AddJsonFile(Path.Combine(Directory.GetCurrentDirectory(), "tollgate.json"), optional: true)
            .AddEnvironmentVariables()
            .AddInMemoryCollection(overrides)
            .Build();
    }

    /// <summary>How long stopping may take in all: in-flight requests get the roles' own 5 s each, the rest is slack for a busy machine.</summary>
    private static readonly TimeSpan StopBudget = TimeSpan.FromSeconds(15);

    /// <summary>
    /// Stops every role within <see cref="StopBudget"/>: past it, whatever is still stopping (a request that never
    /// ends, a store that does not answer) is abandoned and the process exits, so Ctrl+C always ends it.
    /// </summary>
    private static async Task StopAsync(TollgateServer server)
    {
        using var deadline = new CancellationTokenSource(StopBudget);
        try
        {
            await server.StopAsync(deadline.Token).WaitAsync(deadline.Token);
        }
        catch (OperationCanceledException) when (deadline.IsCancellationRequested)
        {
            await Console.Error.WriteLineAsync($"tollgate: not every role stopped within {StopBudget.TotalSeconds:0} s; exiting anyway.");
        }
    }

    /// <summary>Waits for Ctrl+C (SIGINT) or SIGTERM.</summary>
    private static async Task WaitForShutdownAsync(CancellationToken ct)
    {
        var stop = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void OnSignal(PosixSignalContext context)
        {
            context.Cancel = true;
            stop.TrySetResult();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, OnSignal);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, OnSignal);
        try
        {
            await stop.Task.WaitAsync(ct);
        }
        catch (OperationCanceledException)
        {
            // Cancelled by the command line's own termination handling: stop as for a signal.
        }

        AnsiConsole.MarkupLine("[grey]Stopping…[/]");
    }

    /// <summary>The management API as the demo calls it: over HTTP on loopback when that listener is on, else over HTTPS.</summary>
    private static string ManagementBaseUrl(TollgateSettings settings) =>
        string.IsNullOrEmpty(settings.Management.Url) ? settings.Management.HttpsUrl! : settings.Management.Url;

    /// <summary>An HTTP client for the demo's own calls; over HTTPS it trusts exactly the management API's certificate.</summary>
    private static HttpClient ManagementHttpClient(TollgateSettings settings)
    {
        if (!string.IsNullOrEmpty(settings.Management.Url))
        {
            return new HttpClient();
        }

        var thumbprint = TollgateServer.ManagementCertificate(settings, TimeProvider.System).GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256);
        return new HttpClient(new SocketsHttpHandler
        {
            SslOptions = { RemoteCertificateValidationCallback = (_, certificate, _, _) =>
                certificate is not null && string.Equals(certificate.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256), thumbprint, StringComparison.OrdinalIgnoreCase) },
        });
    }

    private static void PrintEndpoints(TollgateSettings settings)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("role").AddColumn("address");
        if (settings.Roles.HasFlag(TollgateRoles.Gateway))
        {
            table.AddRow("gateway", Markup.Escape(string.Join("  ", new[] { settings.Gateway.HttpUrl, settings.Gateway.HttpsUrl }.Where(u => !string.IsNullOrEmpty(u)))));
        }

        if (settings.Roles.HasFlag(TollgateRoles.Management))
        {
            table.AddRow("management API", Markup.Escape(string.Join("  ", new[] { settings.Management.HttpsUrl, settings.Management.Url }.Where(u => !string.IsNullOrEmpty(u)))));
        }

        if (settings.Roles.HasFlag(TollgateRoles.Studio))
        {
            table.AddRow("studio (API, RRS, BES)", Markup.Escape(settings.Studio.Url));
        }

        if (settings.Roles.HasFlag(TollgateRoles.Portal))
        {
            table.AddRow("publisher portal", Markup.Escape(settings.Portal.Url.TrimEnd('/') + "/admin"));
        }

        table.AddRow("data", Markup.Escape(settings.DataDirectory));
        if (settings.Roles.HasFlag(TollgateRoles.Management))
        {
            table.AddRow("e-mail", Markup.Escape(MailNote(settings)));
        }

        AnsiConsole.Write(table);
    }

    /// <summary>Where the e-mail notifications go: the SMTP server, or the mail folder when none is configured.</summary>
    private static string MailNote(TollgateSettings settings) =>
        settings.Mail.UsesSmtp
            ? $"SMTP {settings.Mail.Smtp.Host}:{settings.Mail.Smtp.EffectivePort} ({settings.Mail.Smtp.Security})"
            : $".eml files in {Path.Combine(settings.DataDirectory, "mail")} (no SMTP server: set Tollgate:Mail:Smtp:Host)";

    private static void PrintDemo(TollgateSettings settings, ManagementClient client, TenantAccess.Credentials credentials, string token, string key,
        StudioTutorialSetup.Published published, StudioTutorialSetup.Published classifier, string workspaceToken, string storageNote, string? adminPassword)
    {
        var gateway = settings.Gateway.HttpsUrl is { Length: > 0 } https ? https : settings.Gateway.HttpUrl!;
        AnsiConsole.Write(new Rule("[green]Tollgate demo is running[/]").LeftJustified());
        var table = new Table().Border(TableBorder.Rounded).AddColumn("what").AddColumn("value");
        table.AddRow("Gateway", Markup.Escape($"{settings.Gateway.HttpsUrl}  {settings.Gateway.HttpUrl}"));
        foreach (var url in new[] { settings.Management.HttpsUrl, settings.Management.Url }.Where(u => !string.IsNullOrEmpty(u)))
        {
            table.AddRow("Management API", Markup.Escape(url!.TrimEnd('/') + client.ServiceId + "?api-version=" + ManagementClient.ApiVersion));
        }

        table.AddRow("Instance gateway URL", Markup.Escape(settings.Management.GatewayUrlOf(TutorialSetup.ServiceName)));
        table.AddRow("Studio", Markup.Escape(settings.Studio.Url));
        table.AddRow("Publisher portal", Markup.Escape(settings.Portal.Url.TrimEnd('/') + "/admin"));
        table.AddRow("Developer portal", Markup.Escape(settings.Management.PortalUrlOf(TutorialSetup.ServiceName)));
        table.AddRow("Studio pages", Markup.Escape(settings.Portal.Url.TrimEnd('/') + "/studio"));
        table.AddRow("Portal user", "1");
        table.AddRow("Portal password", Markup.Escape(adminPassword ?? "(changed since the first start: the one you set)"));
        table.AddRow("Admin identifier", Markup.Escape(credentials.Id));
        table.AddRow("Admin primary key", Markup.Escape(credentials.PrimaryKey));
        table.AddRow("Starter subscription key", Markup.Escape(key));
        table.AddRow("Workspace id", Markup.Escape(published.WorkspaceId));
        table.AddRow("Service id", Markup.Escape(published.EndpointId));
        table.AddRow("ML API key", Markup.Escape(published.PrimaryKey));
        table.AddRow("Studio workspace token", Markup.Escape(workspaceToken));
        table.AddRow("API help page", Markup.Escape(published.HelpLocation));
        table.AddRow("Classifier service id", Markup.Escape(classifier.EndpointId));
        table.AddRow("Classifier ML API key", Markup.Escape(classifier.PrimaryKey));
        table.AddRow("Classifier help page", Markup.Escape(classifier.HelpLocation));
        table.AddRow("Data directory", Markup.Escape(settings.DataDirectory));
        table.AddRow("E-mail", Markup.Escape(MailNote(settings)));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine(Markup.Escape(storageNote));
        AnsiConsole.MarkupLine("[bold]Management API token[/] (Authorization header, valid 30 days; [grey]tollgate token[/] makes new ones):");
        Console.WriteLine(token);
        AnsiConsole.MarkupLine("[bold]Call the RRS Execute operation through the gateway[/] (-k: the gateway's certificate is self-signed):");
        Console.WriteLine(
            $"curl -k -X POST \"{gateway}/azureml-demo/workspaces/{published.WorkspaceId}/services/{published.EndpointId}/execute?api-version=2.0&details=true\" " +
            $"-H \"Ocp-Apim-Subscription-Key: {key}\" -H \"Content-Type: application/json\" -H \"Authorization: Bearer {published.PrimaryKey}\" " +
            "-d '{\"Inputs\":{\"input1\":{\"ColumnNames\":[\"Col2\"],\"Values\":[[\"This is a good day\"]]}},\"GlobalParameters\":{}}'");
        AnsiConsole.MarkupLine("[bold]Classify a book review[/] (the second service, a two-class model trained on the book reviews sample; same API, its own ML API key):");
        Console.WriteLine(
            $"curl -k -X POST \"{gateway}/azureml-demo/workspaces/{classifier.WorkspaceId}/services/{classifier.EndpointId}/execute?api-version=2.0&details=true\" " +
            $"-H \"Ocp-Apim-Subscription-Key: {key}\" -H \"Content-Type: application/json\" -H \"Authorization: Bearer {classifier.PrimaryKey}\" " +
            $"-d '{StudioClassifierSetup.SampleBody}'");
        AnsiConsole.MarkupLine("[grey]Press Ctrl+C to stop.[/]");
    }
}
