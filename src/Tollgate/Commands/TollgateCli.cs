using System.CommandLine;
using System.Runtime.InteropServices;
using Microsoft.Extensions.Configuration;
using Spectre.Console;
using Tollgate.Demo;
using Tollgate.Hosting;
using Tollgate.Management.Api;
using Tollgate.Management.Services;

namespace Tollgate.Commands;

/// <summary>The <c>tollgate</c> command line: run, demo, token, openapi.</summary>
public static class TollgateCli
{
    public static RootCommand Build()
    {
        var dataDir = new Option<string?>("--data-dir") { Description = "Directory for the SQLite store, keys and certificates (default ./data; Tollgate:DataDirectory)." };
        var roles = new Option<string?>("--roles") { Description = "Roles to host, comma-separated: gateway, management (default: all)." };

        var run = new Command("run", "Run Tollgate: the gateway (http://127.0.0.1:5080, https://127.0.0.1:5443) and the management API (http://127.0.0.1:5081) in one process.")
        {
            dataDir, roles,
        };
        run.SetAction(async (parse, ct) =>
        {
            var configuration = Configuration(parse.GetValue(dataDir), parse.GetValue(roles));
            await using var server = await TollgateServer.StartAsync(configuration, cancellationToken: ct);
            PrintEndpoints(server.Settings);
            AnsiConsole.MarkupLine("[grey]Press Ctrl+C to stop.[/]");
            await WaitForShutdownAsync(ct);
            await server.StopAsync(CancellationToken.None);
            return 0;
        });

        var demo = new Command("demo", "Run everything on this machine with the tutorial preloaded: the AzureML Demo API with its five operations in the Starter product, in front of a built-in echo backend.")
        {
            dataDir,
        };
        demo.SetAction(async (parse, ct) =>
        {
            var configuration = Configuration(parse.GetValue(dataDir), "all");
            await using var server = await TollgateServer.StartAsync(configuration, cancellationToken: ct);
            var settings = server.Settings;
            await using var backend = await EchoBackend.StartAsync(settings.DemoBackendUrl, ct);
            var token = await server.TenantAccess!.CreateTokenAsync(TimeSpan.FromDays(30), ct);
            using var http = new HttpClient();
            var client = new ManagementClient(http, settings.Management.Url, token, "demo", "tollgate", TutorialSetup.ServiceName);
            var key = await TutorialSetup.RunAsync(client, settings.DemoBackendUrl, ct);
            var credentials = await server.TenantAccess.GetAsync(ct);
            PrintDemo(settings, client, credentials, token, key);
            await WaitForShutdownAsync(ct);
            await server.StopAsync(CancellationToken.None);
            return 0;
        });

        var lifetime = new Option<TimeSpan>("--lifetime") { Description = "How long the token stays valid (default 1 day), e.g. 8:00:00 or 30.00:00:00.", DefaultValueFactory = _ => TimeSpan.FromDays(1) };
        var token = new Command("token", "Print a SharedAccessSignature for the management API's Authorization header, signed with the administrator key in the data directory.")
        {
            dataDir, lifetime,
        };
        token.SetAction(async (parse, ct) =>
        {
            var settings = TollgateSettings.From(Configuration(parse.GetValue(dataDir), null));
            await using var store = TollgateServer.CreateStore(settings, TimeProvider.System);
            await store.InitializeAsync(ct);
            var tenant = new TenantAccess(store, SecretVault.Load(settings.SecretsKey, settings.DataDirectory), TimeProvider.System);
            Console.WriteLine(await tenant.CreateTokenAsync(parse.GetValue(lifetime), ct));
            return 0;
        });

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

        return new RootCommand("Tollgate: self-hosted API management for machine-learning web services (APIM-compatible gateway and management API).")
        {
            run, demo, token, openapi,
        };
    }

    /// <summary>appsettings.json beside the executable, then ./tollgate.json, then Tollgate__* environment variables, then the options.</summary>
    public static IConfiguration Configuration(string? dataDir, string? roles)
    {
        var overrides = new Dictionary<string, string?>();
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

    private static void PrintEndpoints(TollgateSettings settings)
    {
        var table = new Table().Border(TableBorder.Rounded).AddColumn("role").AddColumn("address");
        if (settings.Roles.HasFlag(TollgateRoles.Gateway))
        {
            table.AddRow("gateway", Markup.Escape(string.Join("  ", new[] { settings.Gateway.HttpUrl, settings.Gateway.HttpsUrl }.Where(u => !string.IsNullOrEmpty(u)))));
        }

        if (settings.Roles.HasFlag(TollgateRoles.Management))
        {
            table.AddRow("management API", Markup.Escape(settings.Management.Url));
        }

        table.AddRow("data", Markup.Escape(settings.DataDirectory));
        AnsiConsole.Write(table);
    }

    private static void PrintDemo(TollgateSettings settings, ManagementClient client, TenantAccess.Credentials credentials, string token, string key)
    {
        var gateway = settings.Gateway.HttpsUrl is { Length: > 0 } https ? https : settings.Gateway.HttpUrl!;
        AnsiConsole.Write(new Rule("[green]Tollgate demo is running[/]").LeftJustified());
        var table = new Table().Border(TableBorder.Rounded).AddColumn("what").AddColumn("value");
        table.AddRow("Gateway", Markup.Escape($"{settings.Gateway.HttpsUrl}  {settings.Gateway.HttpUrl}"));
        table.AddRow("Management API", Markup.Escape(settings.Management.Url + client.ServiceId + "?api-version=" + ManagementClient.ApiVersion));
        table.AddRow("Demo backend (echo)", Markup.Escape(settings.DemoBackendUrl));
        table.AddRow("Admin identifier", Markup.Escape(credentials.Id));
        table.AddRow("Admin primary key", Markup.Escape(credentials.PrimaryKey));
        table.AddRow("Starter subscription key", Markup.Escape(key));
        table.AddRow("Data directory", Markup.Escape(settings.DataDirectory));
        AnsiConsole.Write(table);
        AnsiConsole.MarkupLine("[bold]Management API token[/] (Authorization header, valid 30 days; [grey]tollgate token[/] makes new ones):");
        Console.WriteLine(token);
        AnsiConsole.MarkupLine("[bold]Call the RRS Execute operation through the gateway[/] (-k: the gateway's certificate is self-signed):");
        Console.WriteLine(
            $"curl -k -X POST \"{gateway}/azureml-demo/workspaces/demo-workspace/services/demo-service/execute?api-version=2.0&details=true\" " +
            $"-H \"Ocp-Apim-Subscription-Key: {key}\" -H \"Content-Type: application/json\" -H \"Authorization: Bearer demo-ml-api-key\" " +
            "-d '{\"Inputs\":{\"input1\":{\"ColumnNames\":[\"Col2\"],\"Values\":[[\"This is a good day\"]]}},\"GlobalParameters\":{}}'");
        AnsiConsole.MarkupLine("[grey]Press Ctrl+C to stop.[/]");
    }
}
