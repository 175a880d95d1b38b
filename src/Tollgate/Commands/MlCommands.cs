using System.CommandLine;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Spectre.Console;
using Tollgate.Client;

namespace Tollgate.Commands;

/// <summary>
/// <c>tollgate ml invoke</c>: a Studio (classic) web service called with rows from a file, as the Studio protocol's
/// RRS (docs/studio-protocol.md §1), directly or through the gateway.
/// </summary>
public static class MlCommands
{
    /// <summary>Rows sent in one call at most (a CSV of more rows is BES work).</summary>
    public const int MaxRows = 10_000;

    public static Command Build()
    {
        var service = new Argument<string>("service") { Description = "The service's base URL (the dashboard's API location): {studio}/workspaces/{workspace}/services/{endpoint}, or the same path on the gateway." };
        var input = new Option<string>("--input", "-i") { Description = "The rows: a .csv file with a header line, or a .json file holding an array of row objects or {\"ColumnNames\":[…],\"Values\":[[…]]}.", Required = true };
        var apiKey = new Option<string?>("--api-key") { Description = "The service's API key (Authorization: Bearer); default: the TOLLGATE_ML_API_KEY environment variable." };
        var subscriptionKey = new Option<string?>("--subscription-key") { Description = "An APIM subscription key (Ocp-Apim-Subscription-Key), when calling through the gateway." };
        var inputName = new Option<string>("--input-name") { Description = "The web service input's name.", DefaultValueFactory = _ => "input1" };
        var output = new Option<string>("--output", "-o") { Description = "table (default), json (the service's answer) or csv (the first output).", DefaultValueFactory = _ => "table" };
        output.AcceptOnlyFromAmong("table", "json", "csv");
        var insecure = new Option<bool>("--insecure", "-k") { Description = "Accept any HTTPS certificate (the gateway's self-signed one)." };
        var invoke = new Command("invoke", "Score rows with a web service's request-response (RRS) endpoint and print the results.")
        {
            service, input, apiKey, subscriptionKey, inputName, output, insecure,
        };
        invoke.SetAction(async (parse, ct) =>
        {
            ClientCommands.FitRedirectedOutput();
            try
            {
                return await InvokeAsync(parse.GetValue(service)!, parse.GetValue(input)!, parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("TOLLGATE_ML_API_KEY"),
                    parse.GetValue(subscriptionKey), parse.GetValue(inputName)!, parse.GetValue(output)!, parse.GetValue(insecure), ct);
            }
            catch (Exception ex) when (ex is CliException or HttpRequestException or IOException or JsonException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("tollgate: " + ex.Message);
                return 1;
            }
        });
        return new Command("ml", "Call Studio (classic) web services.") { invoke, BuildBatch() };
    }

    private static Command BuildBatch()
    {
        var service = new Argument<string>("service") { Description = "The service's base URL (the dashboard's API location), directly or the same path on the gateway." };
        var input = new Option<string>("--input", "-i") { Description = "The rows: a .csv or .tsv file with a header line, of any size.", Required = true };
        var output = new Option<string>("--output", "-o") { Description = "Where to write the scored rows (.csv or .tsv).", Required = true };
        var storage = new Option<string?>("--storage") { Description = "The blob storage connection string the job reads and writes through; default: the TOLLGATE_STORAGE_CONNECTION_STRING environment variable." };
        var container = new Option<string>("--container") { Description = "The blob container for the input and the output (created when missing).", DefaultValueFactory = _ => "tollgate-batch" };
        var apiKey = new Option<string?>("--api-key") { Description = "The service's API key (Authorization: Bearer); default: the TOLLGATE_ML_API_KEY environment variable." };
        var subscriptionKey = new Option<string?>("--subscription-key") { Description = "An APIM subscription key (Ocp-Apim-Subscription-Key), when calling through the gateway." };
        var inputName = new Option<string>("--input-name") { Description = "The web service input's name.", DefaultValueFactory = _ => "input1" };
        var outputName = new Option<string>("--output-name") { Description = "The web service output's name.", DefaultValueFactory = _ => "output1" };
        var timeout = new Option<int>("--timeout") { Description = "Seconds to wait for the job; past them the job is deleted (cancelled).", DefaultValueFactory = _ => 3600 };
        var insecure = new Option<bool>("--insecure", "-k") { Description = "Accept any HTTPS certificate (the gateway's self-signed one)." };
        var batch = new Command("batch", "Score a file with a web service's batch execution (BES) endpoint: upload, submit, start, follow, download.")
        {
            service, input, output, storage, container, apiKey, subscriptionKey, inputName, outputName, timeout, insecure,
        };
        batch.SetAction(async (parse, ct) =>
        {
            ClientCommands.FitRedirectedOutput();
            try
            {
                var job = new BatchJob(parse.GetValue(service)!, parse.GetValue(input)!, parse.GetValue(output)!,
                    parse.GetValue(storage) ?? Environment.GetEnvironmentVariable("TOLLGATE_STORAGE_CONNECTION_STRING"), parse.GetValue(container)!,
                    parse.GetValue(apiKey) ?? Environment.GetEnvironmentVariable("TOLLGATE_ML_API_KEY"), parse.GetValue(subscriptionKey),
                    parse.GetValue(inputName)!, parse.GetValue(outputName)!, TimeSpan.FromSeconds(Math.Max(1, parse.GetValue(timeout))), parse.GetValue(insecure));
                return await BatchCommand.RunAsync(job, ct);
            }
            catch (Exception ex) when (ex is CliException or HttpRequestException or IOException or JsonException or FormatException or ArgumentException
                or Azure.RequestFailedException or TaskCanceledException && !ct.IsCancellationRequested)
            {
                await Console.Error.WriteLineAsync("tollgate: " + (ex is Azure.RequestFailedException storageError ? $"blob storage: {storageError.Status} {storageError.ErrorCode}" : ex.Message));
                return 1;
            }
        });
        return batch;
    }

    private static async Task<int> InvokeAsync(string service, string file, string? apiKey, string? subscriptionKey, string inputName, string output, bool insecure, CancellationToken ct)
    {
        if (!Uri.TryCreate(service.TrimEnd('/'), UriKind.Absolute, out var baseUri) || baseUri.Scheme is not ("http" or "https"))
        {
            throw new CliException($"'{service}' is not an http(s) URL of a service.");
        }

        if (string.IsNullOrEmpty(apiKey))
        {
            throw new CliException("The service's API key is needed: --api-key or TOLLGATE_ML_API_KEY.");
        }

        var rows = ReadRows(file);
        var body = new JsonObject { ["Inputs"] = new JsonObject { [inputName] = rows }, ["GlobalParameters"] = new JsonObject() };
        using var handler = new SocketsHttpHandler();
        if (insecure)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(5) };
        using var request = new HttpRequestMessage(HttpMethod.Post, baseUri.GetLeftPart(UriPartial.Path) + "/execute?api-version=2.0&details=true")
        {
            Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json"),
        };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        if (subscriptionKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Ocp-Apim-Subscription-Key", subscriptionKey);
        }

        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            throw ManagementException.From(HttpMethod.Post, "execute", response.StatusCode, text);
        }

        var results = JsonNode.Parse(text)?["Results"] as JsonObject ?? throw new CliException("The service answered without Results.");
        if (output == "json")
        {
            Console.Out.WriteLine(JsonNode.Parse(text)!.ToJsonString(new JsonSerializerOptions { WriteIndented = true }));
            return 0;
        }

        foreach (var (name, result) in results)
        {
            var table = result?["value"] as JsonObject;
            var columns = (table?["ColumnNames"] as JsonArray ?? []).Select(c => (string?)c ?? "").ToList();
            var values = (table?["Values"] as JsonArray ?? []).OfType<JsonArray>().Select(r => r.Select(c => c is null ? "" : c.GetValueKind() == JsonValueKind.String ? c.GetValue<string>() : c.ToJsonString()).ToList()).ToList();
            if (output == "csv")
            {
                using var writer = Sylvan.Data.Csv.CsvDataWriter.Create(Console.Out);
                var data = new System.Data.DataTable();
                foreach (var column in columns)
                {
                    data.Columns.Add(column);
                }

                foreach (var row in values)
                {
                    data.Rows.Add(row.Cast<object>().ToArray());
                }

                await writer.WriteAsync(data.CreateDataReader(), ct);
                return 0;
            }

            var grid = new Table().Border(TableBorder.Rounded).Title(Markup.Escape(name));
            foreach (var column in columns)
            {
                grid.AddColumn(Markup.Escape(column));
            }

            foreach (var row in values)
            {
                grid.AddRow(row.Select(Markup.Escape).ToArray());
            }

            AnsiConsole.Write(grid);
        }

        return 0;
    }

    /// <summary>The rows of a .csv (table form, every cell a string) or .json (as written) file.</summary>
    private static JsonNode ReadRows(string file)
    {
        if (!File.Exists(file))
        {
            throw new CliException($"--input: {file} does not exist.");
        }

        if (file.EndsWith(".json", StringComparison.OrdinalIgnoreCase))
        {
            JsonNode? node;
            try
            {
                node = JsonNode.Parse(File.ReadAllText(file));
            }
            catch (JsonException ex)
            {
                throw new CliException($"{file}:{(ex.LineNumber ?? 0) + 1}: not valid JSON: {ex.Message.Split(" Path:")[0].Split(" LineNumber:")[0]}");
            }

            var rows = node switch
            {
                JsonArray array => array.Count,
                JsonObject table when table["ColumnNames"] is JsonArray && table["Values"] is JsonArray v => v.Count,
                _ => throw new CliException($"{file}: expected an array of row objects or {{\"ColumnNames\":[…],\"Values\":[[…]]}}."),
            };
            return rows <= MaxRows ? node : throw new CliException($"{file}: more than {MaxRows} rows; use BES for batches.");
        }

        using var reader = Sylvan.Data.Csv.CsvDataReader.Create(file);
        var columns = new JsonArray(Enumerable.Range(0, reader.FieldCount).Select(i => (JsonNode?)reader.GetName(i)).ToArray());
        var values = new JsonArray();
        while (reader.Read())
        {
            if (values.Count == MaxRows)
            {
                throw new CliException($"{file}: more than {MaxRows} rows; use BES for batches.");
            }

            values.Add(new JsonArray(Enumerable.Range(0, reader.FieldCount).Select(i => (JsonNode?)reader.GetString(i)).ToArray()));
        }

        return new JsonObject { ["ColumnNames"] = columns, ["Values"] = values };
    }
}
