using System.Text.Json.Nodes;

namespace Tollgate.Portal.Studio;

/// <summary>One column a web service input takes (from its swagger.json: <c>definitions.{port}Item</c>).</summary>
public sealed record InputColumn(string Port, string Name, string Type);

/// <summary>A web service's inputs and outputs as its <c>swagger.json</c> describes them (the Test dialog's fields, the samples' request).</summary>
public sealed record ServiceInputs(IReadOnlyList<InputColumn> Columns, IReadOnlyList<string> InputPorts, IReadOnlyList<string> OutputPorts)
{
    public static ServiceInputs From(JsonObject? swagger)
    {
        var definitions = swagger?["definitions"] as JsonObject ?? [];
        var inputs = (definitions["ExecutionInputs"]?["properties"] as JsonObject ?? []).Select(p => p.Key).ToList();
        var outputs = (definitions["ExecutionOutputs"]?["properties"] as JsonObject ?? []).Select(p => p.Key).ToList();
        var columns = inputs.SelectMany(port => (definitions[port + "Item"]?["properties"] as JsonObject ?? [])
            .Select(c => new InputColumn(port, c.Key, (string?)c.Value?["format"] ?? (string?)c.Value?["type"] ?? "string"))).ToList();
        return new ServiceInputs(columns, inputs, outputs);
    }

    /// <summary>A value of the column's type for the samples' request: the walkthrough's sentence for text.</summary>
    public static string SampleValue(InputColumn column) => column.Type switch
    {
        "int32" or "int64" or "integer" => "0",
        "double" or "number" or "float" => "0",
        "boolean" => "true",
        _ => "This is a good day",
    };
}
