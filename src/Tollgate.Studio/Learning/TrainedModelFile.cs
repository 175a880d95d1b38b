using System.IO.Compression;
using System.Text.Json.Nodes;
using Microsoft.ML;
using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;

namespace Tollgate.Studio.Learning;

/// <summary>
/// Saves and loads a <see cref="TrainedModel"/> as one file: a zip holding <c>model.json</c> (learner, kind, label,
/// classes and feature columns, values in their text form) and <c>mlnet.zip</c> (the ML.NET model).
/// </summary>
public static class TrainedModelFile
{
    private const string HeaderEntry = "model.json";
    private const string ModelEntry = "mlnet.zip";
    private const int FormatVersion = 1;

    /// <summary>Writes <paramref name="model"/> to <paramref name="stream"/>.</summary>
    public static void Save(TrainedModel model, Stream stream)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(stream);
        var header = new JsonObject
        {
            ["format"] = FormatVersion,
            ["learner"] = model.LearnerName,
            ["kind"] = model.Kind.ToString(),
            ["label"] = model.LabelName,
            ["labelType"] = model.LabelType.ToString(),
            ["classes"] = new JsonArray(model.Classes.Select(c => (JsonNode?)CellText.Format(c)).ToArray()),
            ["features"] = new JsonArray(model.Featurizer.Columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type.ToString(),
                ["categories"] = c.Categories is null ? null : new JsonArray(c.Categories.Select(v => (JsonNode?)CellText.Format(v)).ToArray()),
            }).ToArray()),
        };
        using var zip = new ZipArchive(stream, ZipArchiveMode.Create, leaveOpen: true);
        using (var writer = new StreamWriter(zip.CreateEntry(HeaderEntry).Open()))
        {
            writer.Write(header.ToJsonString());
        }

        using var modelStream = zip.CreateEntry(ModelEntry).Open();
        model.SaveMlNet(modelStream);
    }

    /// <summary>Reads a model written by <see cref="Save"/>.</summary>
    /// <exception cref="StudioModuleException">Error 0018 when the stream is not a trained model file.</exception>
    public static TrainedModel Load(Stream stream)
    {
        ArgumentNullException.ThrowIfNull(stream);
        try
        {
            using var zip = new ZipArchive(stream, ZipArchiveMode.Read, leaveOpen: true);
            var headerEntry = zip.GetEntry(HeaderEntry) ?? throw new InvalidDataException($"there is no {HeaderEntry}.");
            JsonObject header;
            using (var reader = new StreamReader(headerEntry.Open()))
            {
                header = JsonNode.Parse(reader.ReadToEnd()) as JsonObject ?? throw new InvalidDataException($"{HeaderEntry} is not an object.");
            }

            if ((int?)header["format"] != FormatVersion)
            {
                throw new InvalidDataException($"format {header["format"]} is not {FormatVersion}.");
            }

            var kind = Enum.Parse<ModelKind>((string)header["kind"]!);
            var labelType = Enum.Parse<ColumnType>((string)header["labelType"]!);
            var classes = header["classes"]!.AsArray().Select(c => Parse(labelType, (string?)c)).ToArray();
            var features = header["features"]!.AsArray().Select(f =>
            {
                var type = Enum.Parse<ColumnType>((string)f!["type"]!);
                var categories = f["categories"] is JsonArray values ? values.Select(v => Parse(type, (string?)v)).ToArray() : null;
                return new FeatureColumn((string)f["name"]!, type, categories);
            }).ToArray();
            var modelEntry = zip.GetEntry(ModelEntry) ?? throw new InvalidDataException($"there is no {ModelEntry}.");
            var ml = new MLContext(0);
            using var buffer = new MemoryStream();
            using (var entry = modelEntry.Open())
            {
                entry.CopyTo(buffer);
            }

            buffer.Position = 0;
            var transformer = ml.Model.Load(buffer, out _);
            return new TrainedModel((string)header["learner"]!, kind, new Featurizer(features), (string?)header["label"], labelType, classes, ml, transformer);
        }
        catch (Exception ex) when (ex is InvalidDataException or System.Text.Json.JsonException or ArgumentException or InvalidOperationException
            or FormatException or NullReferenceException or InvalidCastException)
        {
            throw new StudioModuleException(ModuleErrors.InvalidDataset("the file is not a trained model: " + ex.Message));
        }
    }

    private static object Parse(ColumnType type, string? text)
    {
        var builder = DataColumnBuilder.Create(type, 1);
        return text is not null && builder.TryAppendText(text) && builder.Build().GetValue(0) is { } value
            ? value
            : throw new InvalidDataException($"\"{text}\" is not a {type} value.");
    }
}
