using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Tollgate.Studio.Data;
using Tollgate.Studio.Datasets;
using Tollgate.Studio.Experiments;
using Tollgate.Studio.Learning;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Storage;
using Tollgate.Studio.WebServices;

namespace Tollgate.Studio.Api;

public static partial class StudioApi
{
    private static void MapStudioApi(RouteGroupBuilder studio)
    {
        studio.MapGet("/workspace", (StudioWorkspace w, StudioOptions o) => Json(new JsonObject
        {
            ["id"] = w.Current.Id,
            ["created"] = w.Current.Created,
            ["defaultStorage"] = !string.IsNullOrWhiteSpace(o.DefaultStorageConnectionString),
        }));
        studio.MapGet("/modules", (ModuleRegistry registry) => Json(new JsonObject
        {
            ["portTypes"] = new JsonArray(PortTypes.Select(t => (JsonNode)new JsonObject { ["name"] = t.Name, ["description"] = t.Description }).ToArray()),
            ["value"] = new JsonArray(registry.Modules.Select(ModuleJson).ToArray()),
        }));
        studio.MapGet("/modules/{name}", (string name, ModuleRegistry registry) =>
            registry.TryGet(name, out var module) ? Json(ModuleJson(module)) : NotFound("Module", name));
        studio.MapGet("/trainedmodels", async (TrainedModelService m, CancellationToken ct) =>
            Json(new JsonObject { ["value"] = new JsonArray((await m.ListAsync(ct)).Select(x => (JsonNode)TrainedModelJson(x)).ToArray()) }));
        studio.MapGet("/trainedmodels/{id}", async (string id, TrainedModelService m, CancellationToken ct) =>
            await m.FindAsync(id, ct) is { } x ? Json(TrainedModelDetailJson(x, m)) : NotFound("Trained model", id));
        studio.MapPost("/trainedmodels", ImportOnnxAsync);
        studio.MapGet("/trainedmodels/{id}/onnx", ExportOnnxAsync);

        studio.MapGet("/datasets", async (DatasetService d, CancellationToken ct) =>
            Json(new JsonObject { ["value"] = new JsonArray((await d.ListAsync(ct)).Select(x => (JsonNode)DatasetJson(x)).ToArray()) }));
        studio.MapPost("/datasets", UploadDatasetAsync);
        studio.MapGet("/datasets/{id}", async (string id, DatasetService d, CancellationToken ct) =>
            await d.FindAsync(id, ct) is { } x ? Json(DatasetJson(x)) : NotFound("Dataset", id));
        studio.MapGet("/datasets/{id}/rows", DatasetRowsAsync);
        studio.MapDelete("/datasets/{id}", async (string id, DatasetService d, CancellationToken ct) =>
            await d.FindAsync(id, ct) is { } x && await d.DeleteAsync(x, ct) ? Results.NoContent() : NotFound("Dataset", id));

        studio.MapGet("/experiments", async (ExperimentService e, CancellationToken ct) =>
            Json(new JsonObject { ["value"] = new JsonArray((await e.ListAsync(ct)).Select(x => (JsonNode)ExperimentJson(x)).ToArray()) }));
        studio.MapPost("/experiments", async (HttpContext http, ExperimentService e, StudioOptions o) =>
        {
            var record = await e.CreateAsync(await ReadJsonAsync(http, o), http.RequestAborted);
            return Json(ExperimentJson(record), StatusCodes.Status201Created);
        });
        studio.MapGet("/experiments/{id}", async (string id, ExperimentService e, CancellationToken ct) =>
            await e.GetAsync(id, ct) is { } x ? Json(ExperimentJson(x, e)) : NotFound("Experiment", id));
        studio.MapPut("/experiments/{id}", async (string id, HttpContext http, ExperimentService e, StudioOptions o) =>
            await e.UpdateAsync(id, await ReadJsonAsync(http, o), http.RequestAborted) is { } x ? Json(ExperimentJson(x, e)) : NotFound("Experiment", id));
        studio.MapDelete("/experiments/{id}", async (string id, ExperimentService e, CancellationToken ct) =>
            await e.DeleteAsync(id, ct) ? Results.NoContent() : NotFound("Experiment", id));
        studio.MapPost("/experiments/{id}/run", async (string id, ExperimentService e, CancellationToken ct) =>
            await e.GetAsync(id, ct) is { } x ? Json(JsonNode.Parse((await e.RunAsync(x, ct)).ResultJson)!, StatusCodes.Status201Created) : NotFound("Experiment", id));
        studio.MapGet("/experiments/{id}/runs", async (string id, ExperimentService e, CancellationToken ct) =>
            Json(new JsonObject
            {
                ["value"] = new JsonArray((await e.ListRunsAsync(id, ct)).Select(r => (JsonNode)new JsonObject
                {
                    ["id"] = r.Id, ["experimentVersion"] = r.ExperimentVersion, ["status"] = r.Status, ["started"] = r.Started, ["ended"] = r.Ended,
                }).ToArray()),
            }));
        studio.MapGet("/runs/{runId}", async (string runId, ExperimentService e, CancellationToken ct) =>
            await e.GetRunAsync(runId, ct) is { } r ? Json(JsonNode.Parse(r.ResultJson)!) : NotFound("Run", runId));
        studio.MapGet("/runs/{runId}/modules/{moduleId}/outputs/{port}", async (string runId, string moduleId, string port, ExperimentService e, CancellationToken ct) =>
        {
            if (await e.GetRunAsync(runId, ct) is not { } run)
            {
                return NotFound("Run", runId);
            }

            var module = JsonNode.Parse(run.ResultJson)!["modules"]!.AsArray().FirstOrDefault(m => (string?)m!["id"] == moduleId);
            var output = module?["outputs"]?.AsArray().FirstOrDefault(o => string.Equals((string?)o!["port"], port, StringComparison.OrdinalIgnoreCase));
            return output is not null ? Json(output.DeepClone()) : NotFound("Output", $"{moduleId}/{port}");
        });
        studio.MapPost("/experiments/{id}/publish", PublishAsync);
        studio.MapPost("/experiments/{id}/setUpWebService", async (string id, ExperimentService e, CancellationToken ct) =>
            await e.GetAsync(id, ct) is { } x ? Json(ExperimentJson(await e.SetUpWebServiceAsync(x, ct)), StatusCodes.Status201Created) : NotFound("Experiment", id));

        studio.MapGet("/services", async (WebServiceCatalog c, StudioWorkspace w, StudioOptions o, CancellationToken ct) =>
            Json(new JsonObject { ["value"] = new JsonArray((await c.ListAsync(ct)).Select(s => (JsonNode)ServiceJson(s, w, o, keys: false)).ToArray()) }));
        studio.MapGet("/services/{id}", async (string id, WebServiceCatalog c, StudioWorkspace w, StudioOptions o, CancellationToken ct) =>
            await c.GetAsync(id, ct) is { } s ? Json(ServiceJson(s, w, o, keys: true, c.InFlight(s.EndpointId))) : NotFound("Web service", id));
        studio.MapMethods("/services/{id}", ["PATCH"], async (string id, HttpContext http, WebServiceCatalog c, StudioWorkspace w, StudioOptions o) =>
        {
            if (await c.GetAsync(id, http.RequestAborted) is not { } s)
            {
                return NotFound("Web service", id);
            }

            var changes = await ReadJsonAsync(http, o) as JsonObject ?? throw StudioError.BadArgument("RequestBodyInvalid", "The body must be a JSON object.");
            return Json(ServiceJson(await c.UpdateAsync(s, changes, http.RequestAborted), w, o, keys: true));
        });
        studio.MapPost("/services/{id}/regenerateKey", async (string id, HttpContext http, WebServiceCatalog c, StudioWorkspace w, StudioOptions o) =>
        {
            if (await c.GetAsync(id, http.RequestAborted) is not { } s)
            {
                return NotFound("Web service", id);
            }

            var body = await ReadJsonAsync(http, o);
            var keyType = (string?)body?["keyType"] ?? "";
            if (keyType is not ("primary" or "secondary"))
            {
                throw StudioError.BadArgument("BadParameterValue", "keyType must be 'primary' or 'secondary'.", "keyType");
            }

            return Json(ServiceJson(await c.RegenerateKeyAsync(s, keyType == "primary", http.RequestAborted), w, o, keys: true));
        });
        studio.MapDelete("/services/{id}", async (string id, WebServiceCatalog c, CancellationToken ct) =>
            await c.GetAsync(id, ct) is { } s && await c.DeleteAsync(s, ct) ? Results.NoContent() : NotFound("Web service", id));
        studio.MapPost("/services/{id}/test", TestAsync);
        // Endpoints and retraining: Studio's own path, and the classic management API's shape (/workspaces/{ws}/webservices/{id}/endpoints).
        MapEndpoints(studio.MapGroup("/services/{id}/endpoints"));
        MapEndpoints(studio.MapGroup("/workspaces/{workspace}/webservices/{id}/endpoints"));
        studio.MapGet("/services/{id}/jobs", async (string id, HttpContext http, WebServiceCatalog c, StudioStore store, CancellationToken ct) =>
        {
            if (await c.GetAsync(id, ct) is not { } s)
            {
                return NotFound("Web service", id);
            }

            var top = int.TryParse(http.Request.Query["top"], out var t) ? Math.Clamp(t, 1, 1000) : 100;
            // The dashboard's list of batch jobs: states and times only, never the request (it holds connection strings).
            return Json(new JsonObject
            {
                ["value"] = new JsonArray((await store.ListEndpointJobsAsync(s.EndpointId, top, ct)).Select(j => (JsonNode)new JsonObject
                {
                    ["id"] = j.Id, ["status"] = j.Status, ["details"] = j.Details, ["created"] = j.Created, ["started"] = j.Started, ["ended"] = j.Ended,
                }).ToArray()),
            });
        });
    }

    private static void MapEndpoints(RouteGroupBuilder endpoints)
    {
        endpoints.MapGet("", async (string id, HttpContext http, EndpointService e, StudioWorkspace w, StudioOptions o) =>
        {
            var service = await EndpointOwnerAsync(id, http);
            return Json(new JsonObject { ["value"] = new JsonArray((await e.ListAsync(service, http.RequestAborted)).Select(x => (JsonNode)EndpointJson(x, w, o)).ToArray()) });
        });
        endpoints.MapGet("/{name}", async (string id, string name, HttpContext http, EndpointService e, StudioWorkspace w, StudioOptions o) =>
            Json(EndpointJson(await EndpointAsync(id, name, http, e), w, o)));
        endpoints.MapPut("/{name}", async (string id, string name, HttpContext http, EndpointService e, StudioWorkspace w, StudioOptions o) =>
        {
            var service = await EndpointOwnerAsync(id, http);
            var body = await ReadJsonAsync(http, o);
            if (body is not (null or JsonObject))
            {
                throw StudioError.BadArgument("RequestBodyInvalid", "The body must be a JSON object: {\"Description\", \"MaxConcurrentCalls\", \"ThrottleLevel\"}.");
            }

            var (endpoint, added) = await e.PutAsync(service, name, body as JsonObject, http.RequestAborted);
            return Json(EndpointJson(endpoint, w, o), added ? StatusCodes.Status201Created : StatusCodes.Status200OK);
        });
        endpoints.MapMethods("/{name}", ["PATCH"], async (string id, string name, HttpContext http, EndpointService e, StudioWorkspace w, StudioOptions o) =>
        {
            var endpoint = await EndpointAsync(id, name, http, e);
            var body = await ReadJsonAsync(http, o) as JsonObject
                ?? throw StudioError.BadArgument("RequestBodyInvalid", "The body must be a JSON object, e.g. {\"Resources\":[{\"Name\":…,\"Location\":{…}}]}.");
            var service = await EndpointOwnerAsync(id, http);
            return Json(EndpointJson(await e.PatchAsync(service, endpoint, body, http.RequestAborted), w, o));
        });
        endpoints.MapDelete("/{name}", async (string id, string name, HttpContext http, EndpointService e) =>
        {
            await e.DeleteAsync(await EndpointAsync(id, name, http, e), http.RequestAborted);
            return Results.NoContent();
        });
    }

    /// <summary>The web service of an endpoints path (and, in the classic shape, the workspace it names).</summary>
    private static async Task<ServiceRecord> EndpointOwnerAsync(string id, HttpContext http)
    {
        var services = http.RequestServices;
        if (http.Request.RouteValues.TryGetValue("workspace", out var workspace)
            && !string.Equals(workspace as string, services.GetRequiredService<StudioWorkspace>().Current.Id, StringComparison.OrdinalIgnoreCase))
        {
            throw StudioError.NotFound("WorkspaceNotFound", $"Workspace '{workspace}' was not found.");
        }

        return await services.GetRequiredService<WebServiceCatalog>().GetAsync(id, http.RequestAborted) is { } service && service.Id == id
            ? service
            : throw StudioError.NotFound("WebServiceNotFound", $"Web service '{id}' was not found.");
    }

    private static async Task<ScoringService> EndpointAsync(string id, string name, HttpContext http, EndpointService endpoints)
    {
        var service = await EndpointOwnerAsync(id, http);
        return await endpoints.FindAsync(service, name, http.RequestAborted)
            ?? throw StudioError.NotFound("EndpointNotFound", $"Web service '{id}' has no endpoint named '{name}'.");
    }

    /// <summary>An endpoint in the classic management API's shape (PascalCase), with its keys and retrainable resources (never a SAS).</summary>
    private static JsonObject EndpointJson(ScoringService s, StudioWorkspace w, StudioOptions o) => new()
    {
        ["Name"] = s.EndpointName,
        ["Id"] = s.Record.EndpointId,
        ["Description"] = s.Endpoint?.Description ?? s.Record.Description,
        ["CreationTime"] = s.Endpoint?.Created ?? s.Record.Created,
        ["WorkspaceId"] = w.Current.Id,
        ["WebServiceId"] = s.Record.Id,
        ["HelpLocation"] = ServiceDocuments.HelpLocation(o, w.Current.Id, s.Record),
        ["PrimaryKey"] = s.Record.PrimaryKey,
        ["SecondaryKey"] = s.Record.SecondaryKey,
        ["ApiLocation"] = ServiceDocuments.ApiLocation(o, w.Current.Id, s.Record),
        ["MaxConcurrentCalls"] = s.Record.MaxConcurrentCalls,
        ["ThrottleLevel"] = s.Record.MaxConcurrentCalls > 4 ? "High" : "Low",
        ["Resources"] = new JsonArray(s.Resources.Select(r => (JsonNode)new JsonObject
        {
            ["Name"] = r.Name,
            ["Kind"] = "TrainedModel",
            ["TrainedModelId"] = r.CurrentModelId,
            ["Location"] = r.RelativeLocation is null ? null : new JsonObject { ["BaseLocation"] = r.BaseLocation, ["RelativeLocation"] = r.RelativeLocation },
            ["Updated"] = r.Updated,
        }).ToArray()),
    };

    private static IResult Json(JsonNode node, int status = StatusCodes.Status200OK) =>
        Results.Content(node.ToJsonString(), "application/json; charset=utf-8", System.Text.Encoding.UTF8, status);

    private static IResult NotFound(string what, string id) => StudioError.NotFound(what.Replace(" ", "", StringComparison.Ordinal) + "NotFound", $"{what} '{id}' was not found.").ToResult();

    private static async Task<JsonNode?> ReadJsonAsync(HttpContext http, StudioOptions options)
    {
        var body = await ReadBodyAsync(http, options);
        if (body.IsEmpty)
        {
            return null;
        }

        if (Utf8Text.FirstInvalidByte(body.Span) is var invalid and >= 0)
        {
            throw StudioError.BadArgument("RequestBodyInvalid", $"The request body is not valid UTF-8 text (an invalid byte sequence at byte {invalid + 1}).");
        }

        try
        {
            return JsonNode.Parse(body.Span);
        }
        catch (System.Text.Json.JsonException ex)
        {
            throw StudioError.BadArgument("RequestBodyInvalid", $"The request body is not valid JSON (line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).");
        }
    }

    /// <summary>The port data types a connection must match (docs/studio-protocol.md §4.2).</summary>
    private static readonly (string Name, string Description)[] PortTypes =
    [
        (ModulePort.DataTable, "A dataset: rows and typed columns."),
        (ModulePort.UntrainedModel, "A learner and its parameters, not yet trained (a learner's output, Train Model's first input)."),
        (ModulePort.TrainedModel, "A trained model (Train Model's output, a saved Trained model; Score Model's first input)."),
        (ModulePort.Transform, "A transformation learnt on one dataset (Clean Missing Data, Normalize Data)."),
    ];

    private static JsonNode ModuleJson(ModuleDefinition m) => new JsonObject
    {
        ["name"] = m.Name,
        ["category"] = m.Category,
        ["description"] = m.Description,
        ["parameters"] = new JsonArray(m.Parameters.Select(p => (JsonNode)new JsonObject
        {
            ["name"] = p.Name,
            ["type"] = p.Type.ToString(),
            ["default"] = p.Default switch
            {
                null => null,
                int i => i,
                double d => d,
                bool b => b,
                string s => s,
                ColumnSelection c => ColumnSelectionJson.ToJson(c),
                _ => p.Default.ToString(),
            },
            ["min"] = p.Min,
            ["max"] = p.Max,
            ["minExclusive"] = p.MinExclusive ? true : null,
            ["values"] = p.EnumValues is null ? null : new JsonArray(p.EnumValues.Select(v => (JsonNode)v).ToArray()),
            ["required"] = p.IsRequired,
            ["description"] = p.Description,
        }).ToArray()),
        ["inputs"] = new JsonArray(m.Inputs.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["type"] = p.DataType }).ToArray()),
        ["outputs"] = new JsonArray(m.Outputs.Select(p => (JsonNode)new JsonObject { ["name"] = p.Name, ["type"] = p.DataType }).ToArray()),
    };

    private static JsonObject TrainedModelJson(TrainedModelRecord m) => new()
    {
        ["id"] = m.Id,
        ["name"] = m.Name,
        ["learner"] = m.Learner,
        ["kind"] = m.Kind,
        ["experimentId"] = m.ExperimentId.Length > 0 ? m.ExperimentId : null,
        ["runId"] = m.RunId.Length > 0 ? m.RunId : null,
        ["moduleId"] = m.ModuleId.Length > 0 ? m.ModuleId : null,
        ["created"] = m.Created,
    };

    /// <summary>One trained model with what it reads and gives: an ONNX model's inputs and outputs, an ML.NET model's feature columns and slots.</summary>
    private static JsonObject TrainedModelDetailJson(TrainedModelRecord record, TrainedModelService models)
    {
        var json = TrainedModelJson(record);
        TrainedModel model;
        try
        {
            model = models.Load(record);
        }
        catch (Exception ex) when (ex is StudioModuleException or IOException)
        {
            json["error"] = ex is StudioModuleException module ? module.FullMessage : ex.Message;
            return json;
        }

        static JsonNode Tensor(OnnxTensorInfo t) => new JsonObject
        {
            ["name"] = t.Name,
            ["type"] = OnnxModel.TypeName(t.ElementType),
            ["shape"] = new JsonArray(t.Dimensions.Select(d => (JsonNode?)(d >= 0 ? d : null)).ToArray()),
            ["columnType"] = OnnxModel.OutputColumnType(t).ToString(),
        };

        if (model.Onnx is { } onnx)
        {
            json["inputs"] = new JsonArray(onnx.Inputs.Select(Tensor).ToArray());
            json["outputs"] = new JsonArray(onnx.Outputs.Select(Tensor).ToArray());
        }
        else
        {
            json["label"] = model.LabelName;
            json["features"] = new JsonArray(model.InputColumns.Select(c => (JsonNode?)c).ToArray());
            json["featureSlots"] = new JsonArray(model.FeatureSlots.Select(c => (JsonNode?)c).ToArray());
        }

        return json;
    }

    /// <summary>Import ONNX model: the body is the <c>.onnx</c> file; it becomes a trained model of kind <c>Onnx</c>.</summary>
    private static async Task<IResult> ImportOnnxAsync(HttpContext http, TrainedModelService models, StudioOptions o, ILoggerFactory loggers)
    {
        var name = http.Request.Query["name"].ToString().Trim();
        if (name.Length is 0 or > 256)
        {
            throw StudioError.BadArgument("BadParameterValue", "Give the model a name of 1 to 256 characters: POST /studio/trainedmodels?name=…&format=onnx with the .onnx file as the body.", "name");
        }

        var format = http.Request.Query["format"].ToString();
        if (format.Length > 0 && !format.Equals("onnx", StringComparison.OrdinalIgnoreCase))
        {
            throw StudioError.BadArgument("BadParameterValue", "format must be onnx: Studio imports ONNX models; ML.NET models come from Train Model.", "format");
        }

        var logger = loggers.CreateLogger("Tollgate.Studio.TrainedModels");
        if (http.Request.ContentLength > o.MaxOnnxModelBytes)
        {
            throw OnnxTooLarge(o.MaxOnnxModelBytes);
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = null; // the ONNX limit applies, with Studio's error
        }

        try
        {
            var (record, _) = await models.ImportOnnxAsync(name, http.Request.Body, http.RequestAborted);
            Log.OnnxImported(logger, record.Id, name);
            return Json(TrainedModelDetailJson(record, models), StatusCodes.Status201Created);
        }
        catch (OnnxModelTooLargeException ex)
        {
            throw OnnxTooLarge(ex.Limit);
        }
        catch (StudioModuleException ex)
        {
            Log.OnnxRefused(logger, name, ex.FullMessage);
            throw new StudioError("ModuleExecutionError", new StudioErrorDetail("ModuleExecutionError", ex.FullMessage, ImportOnnxModule));
        }
    }

    /// <summary>The name Studio gives the import in errors (Studio classic imported models with a module of this kind).</summary>
    private const string ImportOnnxModule = "Import ONNX model";

    private static StudioError OnnxTooLarge(long limit) => new("MemoryQuotaViolation",
        new StudioErrorDetail("RequestBodyTooLarge", $"The ONNX model is larger than the limit of {limit} bytes (Tollgate:Studio:MaxOnnxModelBytes).", ImportOnnxModule));

    /// <summary>A trained model as ONNX: an imported model's file, or an ML.NET model converted.</summary>
    private static async Task<IResult> ExportOnnxAsync(string id, HttpContext http, TrainedModelService models)
    {
        if (await models.FindAsync(id, http.RequestAborted) is not { } record)
        {
            return NotFound("Trained model", id);
        }

        var buffer = new MemoryStream();
        try
        {
            await models.ExportOnnxAsync(record, buffer, http.RequestAborted);
        }
        catch (StudioModuleException ex)
        {
            throw new StudioError("ModuleExecutionError", new StudioErrorDetail("ModuleExecutionError", ex.FullMessage, "Export ONNX model"));
        }

        var file = new string(record.Name.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' or '.' ? c : '_').ToArray()) + ".onnx";
        return Results.File(buffer.ToArray(), "application/octet-stream", file);
    }

    private static JsonObject DatasetJson(DatasetRecord d) => new()
    {
        ["id"] = d.Id,
        ["name"] = d.Name,
        ["format"] = d.Format,
        ["rowCount"] = d.RowCount,
        ["sizeBytes"] = d.SizeBytes,
        ["columns"] = SchemaJson.ToJson(d.Schema),
        ["created"] = d.Created,
    };

    /// <summary>An experiment; with <paramref name="service"/>, also its modules' parameter errors (<c>moduleErrors</c>).</summary>
    private static JsonObject ExperimentJson(ExperimentRecord e, ExperimentService? service = null)
    {
        var graph = JsonNode.Parse(e.GraphJson)!.AsObject();
        var json = new JsonObject
        {
            ["id"] = e.Id,
            ["name"] = e.Name,
            ["version"] = e.Version,
            ["created"] = e.Created,
            ["updated"] = e.Updated,
            ["graph"] = graph,
        };
        if (service is not null)
        {
            json["moduleErrors"] = new JsonArray(service.ParameterProblems(e).Select(p => (JsonNode)new JsonObject
            {
                ["module"] = p.Module,
                ["parameter"] = p.Error.ParameterName,
                ["code"] = p.Error.Code,
                ["message"] = p.Error.FullMessage,
            }).ToArray());
        }

        return json;
    }

    private static JsonObject ServiceJson(ServiceRecord s, StudioWorkspace w, StudioOptions o, bool keys, int? inFlight = null)
    {
        var json = new JsonObject
        {
            ["id"] = s.Id,
            ["name"] = s.Name,
            ["description"] = s.Description,
            ["workspaceId"] = w.Current.Id,
            ["experimentId"] = s.ExperimentId,
            ["created"] = s.Created,
            ["defaultEndpoint"] = new JsonObject
            {
                ["name"] = "default",
                ["id"] = s.EndpointId,
                ["maxConcurrentCalls"] = s.MaxConcurrentCalls,
                ["callsInFlight"] = inFlight,
                ["apiLocation"] = ServiceDocuments.ApiLocation(o, w.Current.Id, s),
                ["helpLocation"] = ServiceDocuments.HelpLocation(o, w.Current.Id, s),
                ["swaggerLocation"] = ServiceDocuments.ApiLocation(o, w.Current.Id, s) + "/swagger.json",
            },
        };
        if (keys)
        {
            // The dashboard shows the keys, as Studio's did; they are encrypted at rest and never logged.
            json["defaultEndpoint"]!["primaryKey"] = s.PrimaryKey;
            json["defaultEndpoint"]!["secondaryKey"] = s.SecondaryKey;
        }

        return json;
    }

    private static async Task<IResult> UploadDatasetAsync(HttpContext http, DatasetService datasets, StudioWorkspace w, StudioOptions o)
    {
        var name = http.Request.Query["name"].ToString().Trim();
        if (name.Length is 0 or > 256)
        {
            throw StudioError.BadArgument("BadParameterValue", "Give the dataset a name of 1 to 256 characters: POST /studio/datasets?name=…&format=csv|tsv with the file as the body.", "name");
        }

        var format = http.Request.Query["format"].ToString().ToLowerInvariant();
        format = format.Length > 0 ? format : name.EndsWith(".tsv", StringComparison.OrdinalIgnoreCase) ? "tsv" : "csv";
        if (format is not ("csv" or "tsv"))
        {
            throw StudioError.BadArgument("BadParameterValue", "format must be csv or tsv.", "format");
        }

        if (http.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } feature)
        {
            feature.MaxRequestBodySize = null; // datasets may be large; they are streamed to disk
        }

        try
        {
            var record = await datasets.UploadAsync(name, format, http.Request.Body, http.RequestAborted);
            return Json(DatasetJson(record), StatusCodes.Status201Created);
        }
        catch (DataFormatException ex)
        {
            throw StudioError.BadUserArgument("InputParseError", ex.Message, name);
        }
        catch (InvalidOperationException ex)
        {
            throw new StudioError("Conflict", new StudioErrorDetail("DatasetExists", ex.Message, name));
        }
    }

    private static async Task<IResult> DatasetRowsAsync(string id, HttpContext http, DatasetService datasets)
    {
        if (await datasets.FindAsync(id, http.RequestAborted) is not { } dataset)
        {
            return NotFound("Dataset", id);
        }

        var top = int.TryParse(http.Request.Query["top"], out var t) ? Math.Clamp(t, 0, 10_000) : 100;
        var stats = new PortStatistics(dataset.Schema, top);
        await foreach (var batch in datasets.ReadAsync(dataset, DataBatch.DefaultSize, http.RequestAborted))
        {
            stats.Add(batch);
        }

        return Json(stats.ToJson("Dataset"));
    }

    private static async Task<IResult> PublishAsync(string id, HttpContext http, ExperimentService experiments, WebServiceCatalog catalog, StudioWorkspace w, StudioOptions o)
    {
        if (await experiments.GetAsync(id, http.RequestAborted) is not { } experiment)
        {
            return NotFound("Experiment", id);
        }

        var body = await ReadJsonAsync(http, o);
        int? max = body?["maxConcurrentCalls"] is JsonValue v && v.TryGetValue<int>(out var m) ? m : null;
        var service = await catalog.PublishAsync(experiment, (string?)body?["name"], (string?)body?["description"], max, http.RequestAborted);
        return Json(ServiceJson(service, w, o, keys: true), StatusCodes.Status201Created);
    }

    /// <summary>The dashboard's Test dialog: one value per input column, the result as RRS with details gives it.</summary>
    private static async Task<IResult> TestAsync(string id, HttpContext http, WebServiceCatalog catalog, DatasetService datasets, StudioOptions o)
    {
        if (await catalog.GetAsync(id, http.RequestAborted) is not { } record || await catalog.GetEndpointAsync(record.EndpointId, http.RequestAborted) is not { } service)
        {
            return NotFound("Web service", id);
        }

        var body = await ReadJsonAsync(http, o) as JsonObject ?? [];
        var request = new JsonObject { ["Inputs"] = new JsonObject(), ["GlobalParameters"] = body["GlobalParameters"]?.DeepClone() ?? new JsonObject() };
        foreach (var input in service.Default.Inputs)
        {
            var values = body["Inputs"]?[input.PortName!] as JsonObject ?? (service.Default.Inputs.Count() == 1 ? body["values"] as JsonObject : null) ?? [];
            request["Inputs"]![input.PortName!] = new JsonObject
            {
                ["ColumnNames"] = new JsonArray(input.OutputSchema!.Select(c => (JsonNode)c.Name).ToArray()),
                ["Values"] = new JsonArray(new JsonArray(input.OutputSchema!.Select(c => values[c.Name]?.DeepClone()).ToArray())),
            };
        }

        var (inputs, globals) = RequestResponseService.Parse(System.Text.Encoding.UTF8.GetBytes(request.ToJsonString()), service);
        var graph = service.Compile(globals);
        var outputs = await RequestResponseService.ExecuteAsync(graph, service, inputs, d => datasets.ReadAsync(d, DataBatch.DefaultSize, http.RequestAborted), http.RequestAborted);
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        RequestResponseService.WriteResults(buffer, graph, outputs, details: true, swagger: false, omitNamesWithoutDetails: false);
        return Results.Bytes(buffer.WrittenMemory, "application/json; charset=utf-8");
    }
}
