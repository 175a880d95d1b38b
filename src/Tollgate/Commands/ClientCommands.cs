using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using DiffPlex.DiffBuilder;
using DiffPlex.DiffBuilder.Model;
using Spectre.Console;
using Tollgate.Client;
using Tollgate.GitOps;

namespace Tollgate.Commands;

/// <summary>
/// The client commands: <c>login</c>, <c>export</c>/<c>apply</c> (GitOps), <c>api</c>, <c>product</c>, <c>subscription</c>,
/// <c>report</c>. They talk to the management API over HTTP(S) with the credential <c>tollgate login</c> stored, as
/// any other client does; none opens a store.
/// </summary>
public static class ClientCommands
{
    public static IEnumerable<Command> Build()
    {
        yield return Login();
        yield return Export();
        yield return Apply();
        yield return Api();
        yield return Product();
        yield return Subscription();
        yield return Report();
        yield return MlCommands.Build();
    }

    private static Command Login()
    {
        var url = new Argument<string>("url") { Description = "The instance on the management API: https://host:5444/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.ApiManagement/service/{name} (tollgate demo prints it)." };
        var token = new Option<string?>("--token") { Description = "A SharedAccessSignature (\"SharedAccessSignature uid=…&ex=…&sn=…\", from tollgate token or the portal); it stops working when it expires." };
        var keyId = new Option<string?>("--key-id") { Description = "The identifier of the administrator key (tenant access), to sign a fresh SharedAccessSignature for every call; with --key." };
        var key = new Option<string?>("--key") { Description = "The administrator key (primary or secondary) of --key-id." };
        var clientId = new Option<string?>("--client-id") { Description = "A service principal's client id (created with PUT /tollgate/servicePrincipals/{id}); with --client-secret." };
        var clientSecret = new Option<string?>("--client-secret") { Description = "The service principal's secret; traded for a bearer token at /oauth2/v2.0/token on each run." };
        var caCert = new Option<string?>("--ca-cert") { Description = "PEM of the certificate to trust for HTTPS (tollgate certificate --output tollgate.pem), when it is self-signed." };
        var command = new Command("login", "Store the management API's address and a credential for this user (~/.config/tollgate/login.json, readable by you only), after checking they work. The other client commands use them.")
        {
            url, token, keyId, key, clientId, clientSecret, caCert,
        };
        command.SetAction(Guarded(async (parse, ct) =>
        {
            var instance = ClientLogin.ParseInstanceUrl(parse.GetValue(url)!)
                ?? throw new CliException("The URL must name an instance: http(s)://host:port/subscriptions/{id}/resourceGroups/{group}/providers/Microsoft.ApiManagement/service/{name}.");
            var (t, kid, k, cid, cs) = (parse.GetValue(token), parse.GetValue(keyId), parse.GetValue(key), parse.GetValue(clientId), parse.GetValue(clientSecret));
            var kinds = new[] { t is not null, kid is not null || k is not null, cid is not null || cs is not null }.Count(b => b);
            if (kinds != 1)
            {
                throw new CliException("Give one credential: --token, or --key-id with --key, or --client-id with --client-secret.");
            }

            if ((kid is null) != (k is null) || (cid is null) != (cs is null))
            {
                throw new CliException(kid is null != (k is null) ? "--key-id and --key go together." : "--client-id and --client-secret go together.");
            }

            string? pem = null;
            if (parse.GetValue(caCert) is { } file)
            {
                pem = File.Exists(file) ? File.ReadAllText(file) : throw new CliException($"--ca-cert: {file} does not exist.");
                try
                {
                    using var _ = System.Security.Cryptography.X509Certificates.X509Certificate2.CreateFromPem(pem);
                }
                catch (System.Security.Cryptography.CryptographicException ex)
                {
                    throw new CliException($"--ca-cert: {file} is not a PEM certificate ({ex.Message}).");
                }
            }

            var login = new ClientLogin(instance.BaseUrl, instance.SubscriptionId, instance.ResourceGroup, instance.Service, t?.Trim(), kid, k, cid, cs, pem);
            using var http = login.CreateHttpClient();
            var service = await login.CreateClient(http).GetAsync("", ct);
            login.Save();
            AnsiConsole.MarkupLine(Markup.Escape($"Logged in to {login.InstanceUrl} ({(string?)service["properties"]?["publisherName"]}) with the {login.CredentialKind}; saved in {ClientLogin.FilePath}."));
            return 0;
        }));
        return command;
    }

    private static Command Export()
    {
        var directory = new Argument<string>("directory") { Description = "Folder to write the artifacts into (created when missing; other files there are kept)." };
        var command = new Command("export", "Write the instance as files in APIOps' artifact layout: policy.xml (global), apis/{api}/apiInformation.json, specification.yaml, policy.xml, operations/{op}/policy.xml, products/{p}/productInformation.json, policy.xml, apis.json, groups.json, groups/, namedValues/ (secret values left out) and policyFragments/. Exporting an unchanged instance again gives identical files.")
        {
            directory,
        };
        command.SetAction(Client(async (parse, client, ct) =>
        {
            var files = await AnsiConsole.Status().StartAsync("Exporting…", status =>
                ArtifactExporter.ExportAsync(client, what => status.Status(Markup.Escape($"Exporting {what}…")), ct));
            ArtifactExporter.Write(parse.GetValue(directory)!, files);
            AnsiConsole.MarkupLine(Markup.Escape($"Exported {files.Count} files to {Path.GetFullPath(parse.GetValue(directory)!)}."));
            return 0;
        }));
        return command;
    }

    private static Command Apply()
    {
        var directory = new Argument<string>("directory") { Description = "A folder as tollgate export (or APIOps' extractor) writes it." };
        var dryRun = new Option<bool>("--dry-run") { Description = "Show the differences and the changes, change nothing." };
        var prune = new Option<bool>("--prune") { Description = "Also delete what the instance has and the folder does not (APIs, products with their subscriptions, groups, named values, fragments, policies)." };
        var command = new Command("apply", "Make the instance match a folder of artifacts: checks every file first (a broken policy, JSON or OpenAPI file is named with its line, and nothing changes), shows the differences, then creates and updates what differs. Deletes only with --prune. A second apply of the same folder changes nothing. Secret named values without a value in their file take it from TOLLGATE_NAMEDVALUE_{NAME} when the instance lacks them.")
        {
            directory, dryRun, prune,
        };
        command.SetAction(Client(async (parse, client, ct) =>
        {
            var root = parse.GetValue(directory)!;
            if (!Directory.Exists(root))
            {
                throw new CliException($"{root} is not a folder.");
            }

            var files = ArtifactFiles.Read(root, out var ignored);
            foreach (var file in ignored)
            {
                AnsiConsole.MarkupLine("[grey]ignored[/] " + Markup.Escape($"{file}: not part of the artifact layout."));
            }

            var problems = ArtifactFiles.Validate(files);
            if (problems.Count == 0)
            {
                var plan = await ArtifactApplier.PlanAsync(client, files, parse.GetValue(prune), Environment.GetEnvironmentVariable, ct);
                problems.AddRange(plan.Problems);
                if (problems.Count == 0)
                {
                    return await RunPlanAsync(plan, parse.GetValue(dryRun), ct);
                }
            }

            foreach (var problem in problems)
            {
                await Console.Error.WriteLineAsync(Path.Combine(root, problem.ToString()));
            }

            await Console.Error.WriteLineAsync($"tollgate: {problems.Count} problem{(problems.Count == 1 ? "" : "s")} in {root}; nothing was changed.");
            return 1;
        }));
        return command;
    }

    private static async Task<int> RunPlanAsync(ApplyPlan plan, bool dryRun, CancellationToken ct)
    {
        if (plan.Steps.Count == 0)
        {
            foreach (var kept in plan.KeptWithoutPrune)
            {
                AnsiConsole.MarkupLine(Markup.Escape($"not in the folder, kept (--prune would {kept})"));
            }

            AnsiConsole.MarkupLine("No changes: the instance matches the folder.");
            return 0;
        }

        foreach (var (path, current, desired) in plan.Files)
        {
            PrintDiff(path, current, desired);
        }

        AnsiConsole.Write(new Rule(dryRun ? "Changes (dry run: nothing is changed)" : "Changes").LeftJustified());
        foreach (var step in plan.Steps)
        {
            AnsiConsole.MarkupLine((step.Deletes ? "[red]-[/] " : "[green]*[/] ") + Markup.Escape(step.Description));
        }

        foreach (var kept in plan.KeptWithoutPrune)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"  kept: not in the folder (--prune would {kept})"));
        }

        if (dryRun)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"{plan.Steps.Count} change(s) would be made."));
            return 0;
        }

        await AnsiConsole.Progress().AutoClear(true).StartAsync(async progress =>
        {
            var task = progress.AddTask("Applying", maxValue: plan.Steps.Count);
            foreach (var step in plan.Steps)
            {
                task.Description = Markup.Escape(step.Description);
                try
                {
                    await step.RunAsync(ct);
                }
                catch (ManagementException ex)
                {
                    throw new CliException($"{step.Description}: {ex.Message}");
                }

                task.Increment(1);
            }
        });
        AnsiConsole.MarkupLine(Markup.Escape($"Applied {plan.Steps.Count} change(s)."));
        return 0;
    }

    private static void PrintDiff(string path, string? current, string? desired)
    {
        if (current is null)
        {
            AnsiConsole.MarkupLine($"[green]+ {Markup.Escape(path)}[/] (new)");
            return;
        }

        if (desired is null)
        {
            AnsiConsole.MarkupLine($"[red]- {Markup.Escape(path)}[/] (not in the folder)");
            return;
        }

        AnsiConsole.MarkupLine($"[yellow]~ {Markup.Escape(path)}[/]");
        var diff = InlineDiffBuilder.Diff(current, desired, ignoreWhiteSpace: false);
        var shown = 0;
        foreach (var line in diff.Lines)
        {
            if (line.Type is ChangeType.Inserted or ChangeType.Deleted && shown++ < 40)
            {
                var (sign, color) = line.Type == ChangeType.Inserted ? ("+", "green") : ("-", "red");
                AnsiConsole.MarkupLine($"  [{color}]{sign} {Markup.Escape(line.Text)}[/]");
            }
        }

        if (shown > 40)
        {
            AnsiConsole.MarkupLine(Markup.Escape($"  … {shown - 40} more changed lines"));
        }
    }

    private static Command Api()
    {
        var name = new Argument<string>("name") { Description = "The API's name (its id in URLs)." };
        var output = OutputOption();
        var list = new Command("list", "List the instance's APIs.") { output };
        list.SetAction(Client(async (parse, client, ct) =>
        {
            var apis = await client.ListAsync("/apis", ct);
            Print(parse.GetValue(output), apis, ["name", "displayName", "path", "serviceUrl", "subscriptionRequired"], ["name", "display name", "path", "backend", "subscription"]);
            return 0;
        }));

        var show = new Command("show", "Show an API and its operations.") { name, output };
        show.SetAction(Client(async (parse, client, ct) =>
        {
            var id = Escape(parse.GetValue(name)!);
            var api = await client.GetAsync($"/apis/{id}", ct);
            var operations = await client.ListAsync($"/apis/{id}/operations", ct);
            if (parse.GetValue(output) == "json")
            {
                api["operations"] = new JsonArray(operations.Select(o => (JsonNode)o.DeepClone()).ToArray());
                WriteJson(api);
                return 0;
            }

            var p = api["properties"] as JsonObject ?? [];
            var grid = new Table().Border(TableBorder.Rounded).AddColumn("property").AddColumn("value");
            foreach (var (key, value) in p.Where(kv => kv.Value is JsonValue))
            {
                grid.AddRow(Markup.Escape(key), Markup.Escape(value!.ToString()));
            }

            AnsiConsole.Write(grid);
            Print(parse.GetValue(output), operations, ["name", "method", "urlTemplate", "displayName"], ["operation", "method", "URL template", "display name"]);
            return 0;
        }));

        var file = new Option<string>("--file") { Description = "The OpenAPI 3 or Swagger 2 document (JSON or YAML).", Required = true };
        var path = new Option<string?>("--path") { Description = "The API's URL suffix on the gateway (default: the API's name)." };
        var import = new Command("import", "Create or replace an API and all its operations from an OpenAPI or Swagger document.") { name, file, path };
        import.SetAction(Client(async (parse, client, ct) =>
        {
            var document = parse.GetValue(file)!;
            var text = File.Exists(document) ? await File.ReadAllTextAsync(document, ct) : throw new CliException($"--file: {document} does not exist.");
            var trimmed = text.TrimStart();
            var format = trimmed.StartsWith('{') ? (trimmed.Contains("\"swagger\"", StringComparison.Ordinal) ? "swagger-json" : "openapi+json") : "openapi";
            var api = await client.PutAsync($"/apis/{Escape(parse.GetValue(name)!)}", new JsonObject
            {
                ["properties"] = new JsonObject { ["format"] = format, ["value"] = text, ["path"] = parse.GetValue(path) ?? parse.GetValue(name) },
            }, ct);
            var operations = await client.ListAsync($"/apis/{Escape(parse.GetValue(name)!)}/operations", ct);
            AnsiConsole.MarkupLine(Markup.Escape($"Imported API {(string?)api["name"]} ({(string?)api["properties"]?["displayName"]}) with {operations.Count} operation(s) at /{(string?)api["properties"]?["path"]}."));
            return 0;
        }));

        var format = new Option<string>("--format") { Description = "openapi (YAML, the default) or openapi+json.", DefaultValueFactory = _ => "openapi" };
        format.AcceptOnlyFromAmong("openapi", "openapi+json");
        var file2 = new Option<string?>("--file") { Description = "File to write (default: standard output)." };
        var export = new Command("export", "Write an API as an OpenAPI 3 document (servers: the gateway URL of the API).") { name, format, file2 };
        export.SetAction(Client(async (parse, client, ct) =>
        {
            var linkFormat = parse.GetValue(format) == "openapi" ? "openapi-link" : "openapi+json-link";
            var link = await client.GetAsync($"/apis/{Escape(parse.GetValue(name)!)}?export=true&format={Uri.EscapeDataString(linkFormat)}", ct);
            var text = await client.DownloadAsync((string)link["value"]!["link"]!, ct);
            if (parse.GetValue(file2) is { } target)
            {
                await File.WriteAllTextAsync(target, text, ct);
            }
            else
            {
                Console.Out.Write(text.EndsWith('\n') ? text : text + "\n");
            }

            return 0;
        }));

        var delete = new Command("delete", "Delete an API with its operations, policies and the subscriptions scoped to it.") { name };
        delete.SetAction(Client(async (parse, client, ct) =>
        {
            await client.GetAsync($"/apis/{Escape(parse.GetValue(name)!)}", ct);
            await client.DeleteAsync($"/apis/{Escape(parse.GetValue(name)!)}?deleteSubscriptions=true", ct);
            AnsiConsole.MarkupLine(Markup.Escape($"Deleted API {parse.GetValue(name)}."));
            return 0;
        }));

        return new Command("api", "APIs of the instance: list, show, import, export, delete.") { list, show, import, export, delete };
    }

    private static Command Product()
    {
        var output = OutputOption();
        var list = new Command("list", "List the instance's products.") { output };
        list.SetAction(Client(async (parse, client, ct) =>
        {
            Print(parse.GetValue(output), await client.ListAsync("/products", ct), ["name", "displayName", "state", "subscriptionRequired", "approvalRequired"],
                ["name", "display name", "state", "subscription", "approval"]);
            return 0;
        }));

        var name = new Argument<string>("name") { Description = "The product's name." };
        var show = new Command("show", "Show a product, its APIs and groups.") { name, output };
        show.SetAction(Client(async (parse, client, ct) =>
        {
            var id = Escape(parse.GetValue(name)!);
            var product = await client.GetAsync($"/products/{id}", ct);
            var apis = await client.ListAsync($"/products/{id}/apis", ct);
            var groups = await client.ListAsync($"/products/{id}/groups", ct);
            if (parse.GetValue(output) == "json")
            {
                product["apis"] = new JsonArray(apis.Select(a => (JsonNode)a.DeepClone()).ToArray());
                product["groups"] = new JsonArray(groups.Select(g => (JsonNode)g.DeepClone()).ToArray());
                WriteJson(product);
                return 0;
            }

            var grid = new Table().Border(TableBorder.Rounded).AddColumn("property").AddColumn("value");
            foreach (var (key, value) in (product["properties"] as JsonObject ?? []).Where(kv => kv.Value is JsonValue))
            {
                grid.AddRow(Markup.Escape(key), Markup.Escape(value!.ToString()));
            }

            grid.AddRow("apis", Markup.Escape(string.Join(", ", apis.Select(a => (string?)a["name"]))));
            grid.AddRow("groups", Markup.Escape(string.Join(", ", groups.Select(g => (string?)g["name"]))));
            AnsiConsole.Write(grid);
            return 0;
        }));

        return new Command("product", "Products of the instance: list, show.") { list, show };
    }

    private static Command Subscription()
    {
        var output = OutputOption();
        var list = new Command("list", "List the instance's subscriptions (keys are not shown: tollgate subscription keys).") { output };
        list.SetAction(Client(async (parse, client, ct) =>
        {
            Print(parse.GetValue(output), await client.ListAsync("/subscriptions", ct), ["name", "displayName", "scope", "ownerId", "state"],
                ["name", "display name", "scope", "owner", "state"]);
            return 0;
        }));

        var name = new Argument<string>("name") { Description = "The subscription's name." };
        var keys = new Command("keys", "Show a subscription's primary and secondary keys.") { name, output };
        keys.SetAction(Client(async (parse, client, ct) =>
        {
            var secrets = await client.PostAsync($"/subscriptions/{Escape(parse.GetValue(name)!)}/listSecrets", ct);
            var row = new JsonObject { ["name"] = parse.GetValue(name), ["primaryKey"] = secrets["primaryKey"]?.DeepClone(), ["secondaryKey"] = secrets["secondaryKey"]?.DeepClone() };
            Print(parse.GetValue(output), [row], ["name", "primaryKey", "secondaryKey"], ["subscription", "primary key", "secondary key"], flat: true);
            return 0;
        }));

        var secondary = new Option<bool>("--secondary") { Description = "Regenerate the secondary key instead of the primary." };
        var regenerate = new Command("regenerate", "Replace a subscription's primary (or secondary) key with a new random one; the old key stops working at once.") { name, secondary };
        regenerate.SetAction(Client(async (parse, client, ct) =>
        {
            var id = Escape(parse.GetValue(name)!);
            var which = parse.GetValue(secondary) ? "Secondary" : "Primary";
            await client.PostAsync($"/subscriptions/{id}/regenerate{which}Key", ct);
            var secrets = await client.PostAsync($"/subscriptions/{id}/listSecrets", ct);
            AnsiConsole.MarkupLine(Markup.Escape($"New {which.ToLowerInvariant()} key of {parse.GetValue(name)}: {(string?)secrets[which.ToLowerInvariant() + "Key"]}"));
            return 0;
        }));

        return new Command("subscription", "Subscriptions of the instance: list, keys, regenerate.") { list, keys, regenerate };
    }

    private static Command Report()
    {
        var from = new Option<DateTimeOffset?>("--from") { Description = "Start of the period (ISO 8601, UTC when no offset; default: all recorded)." };
        var to = new Option<DateTimeOffset?>("--to") { Description = "End of the period (default: now)." };
        var interval = new Option<string>("--interval") { Description = "Bucket of by-time: an ISO 8601 duration, a multiple of 15 minutes (PT15M, PT1H, P1D).", DefaultValueFactory = _ => "PT1H" };
        var byApi = new Command("by-api", "Calls per API: successful, blocked, failed, bandwidth, response times.") { from, to, OutputOption() };
        var byTime = new Command("by-time", "Calls per time bucket (--interval).") { from, to, interval, OutputOption() };
        foreach (var (command, report) in new[] { (byApi, "byApi"), (byTime, "byTime") })
        {
            var output = (Option<string>)command.Options.Last();
            command.SetAction(Client(async (parse, client, ct) =>
            {
                var clauses = new List<string>();
                if (parse.GetValue(from) is { } f)
                {
                    clauses.Add($"timestamp ge datetime'{f.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}'");
                }

                if (parse.GetValue(to) is { } t)
                {
                    clauses.Add($"timestamp le datetime'{t.UtcDateTime.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture)}'");
                }

                var query = $"/reports/{report}?" + (clauses.Count > 0 ? "$filter=" + Uri.EscapeDataString(string.Join(" and ", clauses)) + "&" : "")
                    + (report == "byTime" ? "interval=" + Uri.EscapeDataString(parse.GetValue(interval)!) : "");
                if (parse.GetValue(output) == "csv")
                {
                    Console.Out.Write(await client.GetTextAsync(query.TrimEnd('&', '?') + (query.Contains('?') ? "&" : "?") + "format=csv", ct));
                    return 0;
                }

                var rows = (await client.GetAsync(query.TrimEnd('&', '?'), ct))["value"]?.AsArray().OfType<JsonObject>().ToList() ?? [];
                string[] fields = report == "byApi"
                    ? ["name", "callCountTotal", "callCountSuccess", "callCountBlocked", "callCountFailed", "bandwidth", "apiTimeAvg"]
                    : ["timestamp", "callCountTotal", "callCountSuccess", "callCountBlocked", "callCountFailed", "bandwidth", "apiTimeAvg"];
                Print(parse.GetValue(output), rows, fields, [report == "byApi" ? "API" : "time", "calls", "successful", "blocked", "failed", "bytes", "avg ms"], flat: true);
                return 0;
            }));
        }

        return new Command("report", "Usage reports of the instance (tables, or --output json|csv).") { byApi, byTime };
    }

    private static Option<string> OutputOption()
    {
        var output = new Option<string>("--output", "-o") { Description = "table (default), json or csv.", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "json", "csv");
        return output;
    }

    /// <summary>Items as a table, CSV, or the JSON the API answered; fields are read from <c>properties</c> (or the item itself when <paramref name="flat"/>), <c>name</c> from the item.</summary>
    private static void Print(string? output, IReadOnlyList<JsonObject> items, string[] fields, string[] headers, bool flat = false)
    {
        string Cell(JsonObject item, string field) =>
            (field == "name" ? item["name"] : flat ? item[field] : item["properties"]?[field]) switch
            {
                null => "",
                JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
                var node => node.ToJsonString(),
            };

        switch (output)
        {
            case "json":
                WriteJson(new JsonArray(items.Select(i => (JsonNode)i.DeepClone()).ToArray()));
                break;
            case "csv":
                var csv = new StringBuilder();
                csv.Append(string.Join(',', fields)).Append('\n');
                foreach (var item in items)
                {
                    csv.Append(string.Join(',', fields.Select(f => CsvField(Cell(item, f))))).Append('\n');
                }

                Console.Out.Write(csv.ToString());
                break;
            default:
                var table = new Table().Border(TableBorder.Rounded);
                foreach (var header in headers)
                {
                    table.AddColumn(Markup.Escape(header));
                }

                foreach (var item in items)
                {
                    table.AddRow(fields.Select(f => Markup.Escape(Cell(item, f))).ToArray());
                }

                AnsiConsole.Write(table);
                break;
        }
    }

    /// <summary>Piped or saved tables keep whole values on one line: COLUMNS when set, else wide.</summary>
    public static void FitRedirectedOutput()
    {
        if (Console.IsOutputRedirected)
        {
            AnsiConsole.Profile.Width = int.TryParse(Environment.GetEnvironmentVariable("COLUMNS"), out var columns) && columns > 20 ? columns : 240;
        }
    }

    private static string CsvField(string value) =>
        value.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + value.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : value;

    private static void WriteJson(JsonNode node) =>
        Console.Out.WriteLine(node.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }));

    private static string Escape(string name) => Uri.EscapeDataString(name);

    /// <summary>A client command: the stored login's client, and any failure as one line on standard error with exit code 1.</summary>
    private static Func<ParseResult, CancellationToken, Task<int>> Client(Func<ParseResult, ManagementClient, CancellationToken, Task<int>> action) => Guarded(async (parse, ct) =>
    {
        var login = ClientLogin.Load();
        using var http = login.CreateHttpClient();
        return await action(parse, login.CreateClient(http), ct);
    });

    private static Func<ParseResult, CancellationToken, Task<int>> Guarded(Func<ParseResult, CancellationToken, Task<int>> action) => async (parse, ct) =>
    {
        FitRedirectedOutput();
        try
        {
            return await action(parse, ct);
        }
        catch (Exception ex) when (ex is CliException or HttpRequestException or IOException or UnauthorizedAccessException or TaskCanceledException && !ct.IsCancellationRequested)
        {
            var message = ex switch
            {
                ManagementException or CliException => ex.Message,
                TaskCanceledException => "The management API did not answer in time.",
                HttpRequestException h => $"Could not reach the management API: {h.Message}" + (h.InnerException is { } inner ? $" ({inner.Message})" : ""),
                _ => ex.Message,
            };
            await Console.Error.WriteLineAsync("tollgate: " + message);
            return 1;
        }
    };
}
