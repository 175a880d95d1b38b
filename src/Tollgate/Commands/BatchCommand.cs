using System.Net.Http.Headers;
using System.Text;
using System.Text.Json.Nodes;
using Azure.Storage.Blobs;
using Azure.Storage.Blobs.Models;
using Spectre.Console;
using Tollgate.Client;

namespace Tollgate.Commands;

/// <summary>What <c>tollgate ml batch</c> was asked to do.</summary>
public sealed record BatchJob(
    string Service, string Input, string Output, string? StorageConnectionString, string Container, string? ApiKey, string? SubscriptionKey,
    string InputName, string OutputName, TimeSpan Timeout, bool Insecure);

/// <summary>
/// <c>tollgate ml batch</c>: a Studio (classic) batch execution from a local file to a local file, as the Studio
/// protocol's client does it (docs/studio-protocol.md §2.5): the input uploaded to blob storage, the job submitted
/// with the input and output blobs, started, followed about once a second, and the output downloaded from the SAS URL
/// the job returns. On a terminal, progress bars for the upload, the job and the download; otherwise one line per step
/// on standard error.
/// </summary>
public static class BatchCommand
{
    private static readonly TimeSpan PollInterval = TimeSpan.FromSeconds(1);

    public static async Task<int> RunAsync(BatchJob job, CancellationToken ct)
    {
        var baseUrl = ServiceUrl(job.Service);
        if (string.IsNullOrEmpty(job.ApiKey))
        {
            throw new CliException("The service's API key is needed: --api-key or TOLLGATE_ML_API_KEY.");
        }

        if (string.IsNullOrEmpty(job.StorageConnectionString))
        {
            throw new CliException("A blob storage connection string is needed: --storage or TOLLGATE_STORAGE_CONNECTION_STRING.");
        }

        if (!File.Exists(job.Input))
        {
            throw new CliException($"--input: {job.Input} does not exist.");
        }

        var inputExtension = TableExtension(job.Input, "--input");
        var outputExtension = TableExtension(job.Output, "--output");
        var containerClient = new BlobContainerClient(job.StorageConnectionString, job.Container);
        var run = Guid.NewGuid().ToString("N");
        var inputBlob = $"input/{run}{inputExtension}";
        var outputBlob = $"output/{run}{outputExtension}";

        using var handler = new SocketsHttpHandler();
        if (job.Insecure)
        {
            handler.SslOptions.RemoteCertificateValidationCallback = (_, _, _, _) => true;
        }

        using var http = new HttpClient(handler) { Timeout = TimeSpan.FromMinutes(2) };
        var steps = new Steps(AnsiConsole.Profile.Capabilities.Interactive && !Console.IsErrorRedirected);
        return await steps.RunAsync(async () =>
        {
            var length = new FileInfo(job.Input).Length;
            var upload = steps.Add("Upload", length);
            await containerClient.CreateIfNotExistsAsync(cancellationToken: ct);
            await using (var file = File.OpenRead(job.Input))
            {
                await containerClient.GetBlobClient(inputBlob).UploadAsync(file, new BlobUploadOptions
                {
                    HttpHeaders = new BlobHttpHeaders { ContentType = inputExtension == ".tsv" ? "text/tab-separated-values" : "text/csv" },
                    ProgressHandler = new Progress<long>(upload.Report),
                }, ct);
            }

            upload.Done($"uploaded {length:N0} bytes to {job.Container}/{inputBlob}");

            var body = new JsonObject
            {
                ["Inputs"] = new JsonObject { [job.InputName] = Reference(job.StorageConnectionString, $"{job.Container}/{inputBlob}") },
                ["Outputs"] = new JsonObject { [job.OutputName] = Reference(job.StorageConnectionString, $"{job.Container}/{outputBlob}") },
                ["GlobalParameters"] = new JsonObject(),
            };
            var id = (await SendAsync(http, job, HttpMethod.Post, $"{baseUrl}/jobs?api-version=2.0", body, ct))?.GetValue<string>()
                ?? throw new CliException("The service answered the submission without a job id.");
            await SendAsync(http, job, HttpMethod.Post, $"{baseUrl}/jobs/{Uri.EscapeDataString(id)}/start?api-version=2.0", null, ct);
            var scoring = steps.Add($"Job {id}", null);
            scoring.Done("submitted and started", keepOpen: true);

            var statusUrl = $"{baseUrl}/jobs/{Uri.EscapeDataString(id)}?api-version=2.0";
            var deadline = DateTimeOffset.UtcNow + job.Timeout;
            JsonNode status;
            string? last = null;
            while (true)
            {
                status = await SendAsync(http, job, HttpMethod.Get, statusUrl, null, ct) ?? new JsonObject();
                var code = StatusName(status["StatusCode"]);
                if (code != last)
                {
                    scoring.Status(code);
                    last = code;
                }

                if (code is "Finished" or "Failed" or "Cancelled")
                {
                    break;
                }

                if (DateTimeOffset.UtcNow > deadline)
                {
                    await SendAsync(http, job, HttpMethod.Delete, statusUrl, null, ct);
                    throw new CliException($"The job {id} did not finish within {job.Timeout.TotalSeconds:0} s; it was deleted.");
                }

                await Task.Delay(PollInterval, ct);
            }

            if (last != "Finished")
            {
                scoring.Done(last!);
                throw new CliException($"The job {id} ended {last}: {(string?)status["Details"] ?? "no details"}");
            }

            scoring.Done("finished");
            var result = status["Results"]?[job.OutputName]
                ?? throw new CliException($"The job finished without the output '{job.OutputName}' (--output-name).");
            var url = (string?)result["BaseLocation"] + (string?)result["RelativeLocation"] + (string?)result["SasBlobToken"];
            var blob = new BlobClient(new Uri(url));
            var size = (await blob.GetPropertiesAsync(cancellationToken: ct)).Value.ContentLength;
            var download = steps.Add("Download", size);
            var directory = Path.GetDirectoryName(Path.GetFullPath(job.Output))!;
            Directory.CreateDirectory(directory);
            var partial = Path.Combine(directory, $".{Path.GetFileName(job.Output)}.{run}.partial");
            try
            {
                await blob.DownloadToAsync(partial, new BlobDownloadToOptions { ProgressHandler = new Progress<long>(download.Report) }, ct);
                File.Move(partial, job.Output, overwrite: true);
            }
            finally
            {
                File.Delete(partial);
            }

            download.Done($"wrote {size:N0} bytes to {job.Output}");
            return 0;
        });
    }

    /// <summary>The service's base URL without query or trailing slash; an error naming it when it is not http(s).</summary>
    private static string ServiceUrl(string service) =>
        Uri.TryCreate(service.TrimEnd('/'), UriKind.Absolute, out var uri) && uri.Scheme is "http" or "https"
            ? uri.GetLeftPart(UriPartial.Path).TrimEnd('/')
            : throw new CliException($"'{service}' is not an http(s) URL of a service.");

    private static string TableExtension(string path, string option)
    {
        var extension = Path.GetExtension(path).ToLowerInvariant();
        return extension is ".csv" or ".tsv" ? extension : throw new CliException($"{option}: {path} is neither .csv nor .tsv (the only files batch execution reads and writes).");
    }

    private static JsonObject Reference(string connectionString, string relativeLocation) =>
        new() { ["ConnectionString"] = connectionString, ["RelativeLocation"] = relativeLocation };

    /// <summary>The status's name: Tollgate sends names; older services sent 0–4.</summary>
    private static string StatusName(JsonNode? code) => code?.GetValueKind() == System.Text.Json.JsonValueKind.Number
        ? code.GetValue<int>() switch { 0 => "NotStarted", 1 => "Running", 2 => "Failed", 3 => "Cancelled", 4 => "Finished", var n => n.ToString(System.Globalization.CultureInfo.InvariantCulture) }
        : (string?)code ?? "Unknown";

    private static async Task<JsonNode?> SendAsync(HttpClient http, BatchJob job, HttpMethod method, string url, JsonNode? body, CancellationToken ct)
    {
        using var request = new HttpRequestMessage(method, url);
        if (body is not null)
        {
            request.Content = new StringContent(body.ToJsonString(), Encoding.UTF8, "application/json");
        }

        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", job.ApiKey);
        if (job.SubscriptionKey is not null)
        {
            request.Headers.TryAddWithoutValidation("Ocp-Apim-Subscription-Key", job.SubscriptionKey);
        }

        using var response = await http.SendAsync(request, ct);
        var text = await response.Content.ReadAsStringAsync(ct);
        if (!response.IsSuccessStatusCode)
        {
            // Studio's errors are {"error":{"code","message","details"}}: the message names what is wrong.
            throw ManagementException.From(method, new Uri(url).AbsolutePath, response.StatusCode, text);
        }

        return text.Length == 0 ? null : JsonNode.Parse(text);
    }

    /// <summary>The steps shown: Spectre progress bars on a terminal, one line per change on standard error otherwise.</summary>
    private sealed class Steps(bool interactive)
    {
        private ProgressContext? _context;

        public async Task<int> RunAsync(Func<Task<int>> work)
        {
            if (!interactive)
            {
                return await work();
            }

            return await AnsiConsole.Progress()
                .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new DownloadedColumn(), new ElapsedTimeColumn(), new SpinnerColumn())
                .StartAsync(async context =>
                {
                    _context = context;
                    return await work();
                });
        }

        public Step Add(string name, long? total)
        {
            var task = _context?.AddTask(Markup.Escape(name), maxValue: Math.Max(1, total ?? 1));
            if (task is not null && total is null)
            {
                task.IsIndeterminate = true;
            }

            return new Step(name, task);
        }
    }

    private sealed class Step(string name, ProgressTask? task)
    {
        private string? _printed;

        public void Report(long bytes)
        {
            if (task is not null)
            {
                task.Value = Math.Min(bytes, task.MaxValue);
            }
        }

        public void Status(string status)
        {
            if (task is not null)
            {
                task.Description = Markup.Escape($"{name}: {status}");
            }
            else
            {
                Print(status);
            }
        }

        private void Print(string what)
        {
            if (what != _printed)
            {
                Console.Error.WriteLine($"{name}: {what}");
                _printed = what;
            }
        }

        public void Done(string what, bool keepOpen = false)
        {
            if (task is not null)
            {
                task.Description = Markup.Escape($"{name}: {what}");
                if (!keepOpen)
                {
                    task.IsIndeterminate = false;
                    task.Value = task.MaxValue;
                    task.StopTask();
                }
            }
            else
            {
                Print(what);
            }
        }
    }
}
