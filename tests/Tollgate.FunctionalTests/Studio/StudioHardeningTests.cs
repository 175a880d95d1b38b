using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using Tollgate.Demo;
using Tollgate.FunctionalTests.Infrastructure;
using Tollgate.Studio.WebServices;

namespace Tollgate.FunctionalTests.Studio;

/// <summary>
/// No request takes Studio down or starves it: slow uploads do not hold RRS concurrency slots, bytes that are not UTF-8
/// are a documented 400 wherever they come in (RRS cells, BES bodies, Studio's API, dataset uploads), and Studio's data
/// files are its owner's alone. Each case then checks that the service still answers.
/// </summary>
public sealed class StudioHardeningTests : PublishedTutorialTests
{
    private async Task<HttpResponseMessage> SendBytesAsync(HttpClient client, HttpMethod method, string path, byte[] body, string? key = null)
    {
        using var request = new HttpRequestMessage(method, path) { Content = new ByteArrayContent(body) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        if (key is not null)
        {
            request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + key);
        }

        return await client.SendAsync(request);
    }

    /// <summary><paramref name="before"/>, the bytes 0xC3 0x28 (a truncated two-byte sequence) and 0xFF, then <paramref name="after"/>.</summary>
    private static byte[] WithInvalidUtf8(string before, string after) =>
        [.. Encoding.UTF8.GetBytes(before), 0xC3, 0x28, 0xFF, .. Encoding.UTF8.GetBytes(after)];

    private async Task<int?> CallsInFlightAsync() =>
        (int?)(await Host.OkAsync(HttpMethod.Get, $"/studio/services/{Service.ServiceId}"))["defaultEndpoint"]!["callsInFlight"];

    [Fact]
    public async Task TwoSlowUploads_DoNotHoldTheConcurrencySlots_OtherCallsAreServed()
    {
        await Host.OkAsync(HttpMethod.Patch, $"/studio/services/{Service.ServiceId}", new JsonObject { ["MaxConcurrentCalls"] = 2 });
        const int Length = 1_000_000;
        var prefix = "{\"Inputs\":{\"input1\":{\"ColumnNames\":[\"Col2\"],\"Values\":[[\"";
        var suffix = "\"]]}},\"GlobalParameters\":{}}";
        var body = Encoding.UTF8.GetBytes(prefix + new string('a', Length - prefix.Length - suffix.Length) + suffix);
        Assert.Equal(Length, body.Length);

        // The server reports each call's body as it arrives: wait until both slow calls are being read.
        var reading = new ConcurrentDictionary<string, bool>();
        var bothReading = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Hooks.BodyProgress = (context, read) =>
        {
            if (context.Request.ContentLength == Length && read > 0 && reading.TryAdd(context.TraceIdentifier, true) && reading.Count >= 2)
            {
                bothReading.TrySetResult();
            }
        };

        var uri = new Uri(Host.Url);
        var head = Encoding.ASCII.GetBytes($"POST {Execute()} HTTP/1.1\r\nHost: {uri.Authority}\r\nAuthorization: Bearer {Service.PrimaryKey}\r\n" +
            $"Content-Type: application/json\r\nContent-Length: {Length}\r\nConnection: close\r\n\r\n");
        using var finishing = new TcpClient();
        using var aborting = new TcpClient();
        foreach (var slow in new[] { finishing, aborting })
        {
            await slow.ConnectAsync(uri.Host, uri.Port);
            await slow.GetStream().WriteAsync(head);
            await slow.GetStream().WriteAsync(body.AsMemory(0, Length / 2)); // half the body; the stream stays open
            await slow.GetStream().FlushAsync();
        }

        await bothReading.Task.WaitAsync(TimeSpan.FromSeconds(30));

        // Both uploads are still in progress, and every other call is served (before the fix: 503 RequestThrottled).
        for (var i = 0; i < 3; i++)
        {
            using var response = await Host.CallAsync(HttpMethod.Post, Execute(), Service.PrimaryKey, TutorialBody);
            Assert.True(response.StatusCode == HttpStatusCode.OK, await response.Content.ReadAsStringAsync());
        }

        Assert.Equal(0, await CallsInFlightAsync());

        // One upload completes and is answered; the other is abandoned mid-body.
        aborting.Client.Close();
        await finishing.GetStream().WriteAsync(body.AsMemory(Length / 2));
        using var reader = new StreamReader(finishing.GetStream());
        Assert.StartsWith("HTTP/1.1 200", await reader.ReadToEndAsync());

        await AssertStillServesAsync();
        Assert.Equal(0, await CallsInFlightAsync());
    }

    [Fact]
    public async Task InvalidUtf8InAnRrsCell_Is400InputParseError_AndTheServiceKeepsServing()
    {
        var table = WithInvalidUtf8("""{"Inputs":{"input1":{"ColumnNames":["Col2"],"Values":[["good """, """ day"]]}},"GlobalParameters":{}}""");
        var rows = WithInvalidUtf8("""{"Inputs":{"input1":[{"Col2":"good """, """ day"}]}}""");
        var name = WithInvalidUtf8("{\"Inputs\":{\"input1\":{\"ColumnNames\":[\"Col", "2\"],\"Values\":[[\"a\"]]}}}");
        foreach (var body in new[] { table, rows, name })
        {
            using var response = await SendBytesAsync(Host.Client, HttpMethod.Post, Execute(), body, Service.PrimaryKey);
            var json = await StudioAssert.ErrorAsync(response, 400, "BadUserArgument", "InputParseError");
            Assert.Contains("not valid UTF-8", (string?)json["error"]!["details"]![0]!["message"]);
        }

        await AssertStillServesAsync();
    }

    [Fact]
    public async Task InvalidUtf8InABesBodyOrAStudioApiBody_Is400RequestBodyInvalid()
    {
        var bes = WithInvalidUtf8("{\"Inputs\":{\"input1\":{\"ConnectionString\":\"x", "\",\"RelativeLocation\":\"c/b.csv\"}}}");
        using (var response = await SendBytesAsync(Host.Client, HttpMethod.Post, Host.ServicePath(Service.EndpointId) + "/jobs?api-version=2.0", bes, Service.PrimaryKey))
        {
            await StudioAssert.ErrorAsync(response, 400, "BadArgument", "RequestBodyInvalid");
        }

        using (var response = await SendBytesAsync(Host.Studio, HttpMethod.Post, "/studio/experiments", WithInvalidUtf8("{\"name\":\"x", "\"}")))
        {
            await StudioAssert.ErrorAsync(response, 400, "BadArgument", "RequestBodyInvalid");
        }

        await AssertStillServesAsync();
    }

    [Fact]
    public async Task DatasetUploadWithInvalidUtf8_Is400InputParseError_NamingTheRow()
    {
        var csv = WithInvalidUtf8("Col1,Col2\n1,fine\n2,bro", "ken\n3,fine\n");
        using (var response = await SendBytesAsync(Host.Studio, HttpMethod.Post, "/studio/datasets?name=broken.csv&format=csv", csv))
        {
            var json = await StudioAssert.ErrorAsync(response, 400, "BadUserArgument", "InputParseError");
            Assert.Contains("not valid UTF-8", (string?)json["error"]!["details"]![0]!["message"]);
        }

        var header = WithInvalidUtf8("Col", "1\tCol2\n1\tfine\n");
        using (var response = await SendBytesAsync(Host.Studio, HttpMethod.Post, "/studio/datasets?name=broken.tsv&format=tsv", header))
        {
            var json = await StudioAssert.ErrorAsync(response, 400, "BadUserArgument", "InputParseError");
            Assert.Contains("Row 1", (string?)json["error"]!["details"]![0]!["message"]);
        }

        // Nothing was kept, and a valid upload (with a UTF-8 BOM and non-ASCII text) still works.
        var datasets = await Host.OkAsync(HttpMethod.Get, "/studio/datasets");
        Assert.DoesNotContain(datasets["value"]!.AsArray(), d => ((string?)d!["name"])!.StartsWith("broken", StringComparison.Ordinal));
        using (var response = await SendBytesAsync(Host.Studio, HttpMethod.Post, "/studio/datasets?name=ok.csv&format=csv",
            [0xEF, 0xBB, 0xBF, .. Encoding.UTF8.GetBytes("Col1,Col2\n1,café\n")]))
        {
            Assert.Equal(HttpStatusCode.Created, response.StatusCode);
            var dataset = JsonNode.Parse(await response.Content.ReadAsStringAsync())!;
            Assert.Equal("Col1", (string?)dataset["columns"]![0]!["name"]);
        }

        await AssertStillServesAsync();
    }

    [Fact]
    public void StudiosDataFiles_AreTheOwnersAlone()
    {
        if (OperatingSystem.IsWindows())
        {
            return;
        }

        var directory = Path.Combine(Host.DataDirectory, "studio");
        Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(directory));
        foreach (var file in Directory.EnumerateFiles(directory, "*", SearchOption.AllDirectories))
        {
            Assert.True(File.GetUnixFileMode(file) == (UnixFileMode.UserRead | UnixFileMode.UserWrite), $"{file} is {File.GetUnixFileMode(file)}");
        }

        Assert.Contains(Directory.EnumerateFiles(directory), f => Path.GetFileName(f) == "studio.db");
        Assert.NotEmpty(Directory.EnumerateFiles(Path.Combine(directory, "datasets"))); // the sample dataset
    }
}
