using System.Collections.Concurrent;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using Fluid;
using Fluid.Values;

namespace Tollgate.Portal.Studio;

/// <summary>What the dashboard's sample code is filled with: one web service's address, key, ports and a sample row.</summary>
public sealed record SampleModel(string ServiceName, string ApiLocation, string ApiKey, string InputPort, IReadOnlyList<string> Columns,
    IReadOnlyList<string> Values, string OutputPort)
{
    /// <summary>The RRS request body (table form) with the sample row.</summary>
    public string RequestJson => new JsonObject
    {
        ["Inputs"] = new JsonObject
        {
            [InputPort] = new JsonObject
            {
                ["ColumnNames"] = new JsonArray(Columns.Select(c => (JsonNode)c).ToArray()),
                ["Values"] = new JsonArray(new JsonArray(Values.Select(v => (JsonNode)v).ToArray())),
            },
        },
        ["GlobalParameters"] = new JsonObject(),
    }.ToJsonString();
}

/// <summary>
/// The web service dashboard's sample code: RRS and BES clients in C#, Python and R, from Liquid templates
/// (<c>Studio/Samples/*.liquid</c>, embedded) filled with the service's URL and key. Every text placed in code goes
/// through the <c>literal</c> filter: a JSON string literal, which C#, Python and R all read as the same string.
/// </summary>
public sealed class SampleCode
{
    /// <summary>The samples, in the order the dashboard shows them: (id, label, file name).</summary>
    public static readonly IReadOnlyList<(string Id, string Label, string File)> Kinds =
    [
        ("rrs-csharp", "RRS · C#", "rrs.cs"), ("rrs-python", "RRS · Python", "rrs.py"), ("rrs-r", "RRS · R", "rrs.R"),
        ("bes-csharp", "BES · C#", "bes.cs"), ("bes-python", "BES · Python", "bes.py"), ("bes-r", "BES · R", "bes.R"),
    ];

    private static readonly FluidParser Parser = new();

    /// <summary>Quotes, backslashes and control characters escaped; URLs and keys (<c>&amp;</c>, <c>+</c>) kept readable.</summary>
    private static readonly JsonSerializerOptions RelaxedOptions = new() { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };
    private readonly ConcurrentDictionary<string, IFluidTemplate> _templates = new(StringComparer.Ordinal);
    private readonly TemplateOptions _options;

    public SampleCode()
    {
        _options = new TemplateOptionsBuilder()
            .ConfigureFilters(filters => filters.AddFilter("literal", (input, _, context) => StringValue.Create(Literal(input.ToStringValue(context)))))
            .Build();
    }

    /// <summary>A string literal valid in C#, Python and R (JSON's escapes are a subset of each).</summary>
    public static string Literal(string text) => JsonSerializer.Serialize(text, RelaxedOptions);

    /// <summary>The sample <paramref name="file"/> (<c>rrs.py</c>, …) filled with <paramref name="model"/>.</summary>
    public string Render(string file, SampleModel model)
    {
        var template = _templates.GetOrAdd(file, Load);
        var context = new TemplateContext(_options);
        context.SetValue("name", model.ServiceName);
        context.SetValue("url", model.ApiLocation);
        context.SetValue("key", model.ApiKey);
        context.SetValue("input", model.InputPort);
        context.SetValue("output", model.OutputPort);
        context.SetValue("columns", model.Columns);
        context.SetValue("request", model.RequestJson);
        context.SetValue("sample_csv", string.Join(",", model.Columns.Select(Csv)) + "\n" + string.Join(",", model.Values.Select(Csv)) + "\n");
        return template.Render(context, NullEncoder.Default);
    }

    private static string Csv(string cell) => cell.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + cell.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"" : cell;

    private static IFluidTemplate Load(string file)
    {
        var name = $"Tollgate.Portal.Studio.Samples.{file}.liquid";
        using var stream = typeof(SampleCode).Assembly.GetManifestResourceStream(name) ?? throw new InvalidOperationException($"The sample template {name} is not embedded.");
        using var reader = new StreamReader(stream);
        var text = reader.ReadToEnd();
        return Parser.TryParse(text, out var template, out var error) ? template : throw new InvalidOperationException($"The sample template {file} does not parse: {error}");
    }
}
