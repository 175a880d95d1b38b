using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using Tollgate.Studio.Data;
using Tollgate.Studio.Storage;

namespace Tollgate.Studio.WebServices;

/// <summary>The swagger.json (docs/studio-protocol.md §3), the API help pages and the dashboard of a web service (§4).</summary>
public static class ServiceDocuments
{
    public static string ApiLocation(StudioOptions options, string workspaceId, ServiceRecord service) =>
        $"{options.BaseUrl}/workspaces/{workspaceId}/services/{service.EndpointId}";

    public static string HelpLocation(StudioOptions options, string workspaceId, ServiceRecord service) =>
        $"{options.BaseUrl}/studio/apihelp/workspaces/{workspaceId}/webservices/{service.Id}/endpoints/{service.EndpointId}";

    /// <summary>The Swagger 2.0 document of a service, in the shape Studio's had.</summary>
    public static JsonObject Swagger(StudioOptions options, string workspaceId, ScoringService service)
    {
        var baseUri = new Uri(options.BaseUrl);
        var definitions = new JsonObject();
        var executionInputs = new JsonObject();
        var batchInputs = new JsonObject();
        var exampleInputs = new JsonObject();
        foreach (var input in service.Default.Inputs)
        {
            definitions[input.PortName + "Item"] = Item(input.OutputSchema!);
            executionInputs[input.PortName!] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = $"#/definitions/{input.PortName}Item" } };
            batchInputs[input.PortName!] = new JsonObject { ["$ref"] = "#/definitions/AzureBlobDataReference" };
            var example = new JsonObject();
            foreach (var column in input.OutputSchema!)
            {
                example[column.Name] = column.Type == ColumnType.String ? "value" : "0";
            }

            exampleInputs[input.PortName!] = new JsonArray(example, example.DeepClone());
        }

        var executionOutputs = new JsonObject();
        var batchOutputs = new JsonObject();
        foreach (var output in service.Default.Outputs)
        {
            definitions[output.PortName + "Item"] = Item(output.OutputSchema ?? new DataSchema()); // columns known only when it runs: none described
            executionOutputs[output.PortName!] = new JsonObject { ["type"] = "array", ["items"] = new JsonObject { ["$ref"] = $"#/definitions/{output.PortName}Item" } };
            batchOutputs[output.PortName!] = new JsonObject { ["$ref"] = "#/definitions/AzureBlobDataReference" };
        }

        var globals = new JsonObject();
        foreach (var p in service.Graph.WebServiceParameters)
        {
            var parameter = service.Graph.ById[p.ModuleId].Definition.FindParameter(p.Parameter)!;
            var schema = parameter.Type == Modules.ModuleParameterType.Int
                ? new JsonObject { ["type"] = "integer", ["format"] = "int32" }
                : new JsonObject { ["type"] = "string" };
            if (parameter.Min is { } min)
            {
                schema["minimum"] = (double)min;
            }

            if (parameter.Max is { } max)
            {
                schema["maximum"] = (double)max;
            }

            if (parameter.EnumValues is { } values)
            {
                schema["enum"] = new JsonArray(values.Select(v => (JsonNode)v).ToArray());
            }

            globals[p.Name] = schema;
        }

        definitions["ExecutionInputs"] = new JsonObject { ["type"] = "object", ["properties"] = executionInputs };
        definitions["ExecutionOutputs"] = new JsonObject { ["type"] = "object", ["properties"] = executionOutputs };
        definitions["GlobalParameters"] = new JsonObject { ["type"] = "object", ["properties"] = globals };
        definitions["ExecutionRequest"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["Inputs"] = Ref("ExecutionInputs"),
                ["GlobalParameters"] = Ref("GlobalParameters"),
            },
            ["example"] = new JsonObject { ["Inputs"] = exampleInputs, ["GlobalParameters"] = new JsonObject() },
        };
        definitions["ExecutionResults"] = new JsonObject { ["type"] = "object", ["properties"] = new JsonObject { ["Results"] = Ref("ExecutionOutputs") } };
        definitions["BatchInputs"] = new JsonObject { ["type"] = "object", ["properties"] = batchInputs };
        definitions["BatchOutputs"] = new JsonObject { ["type"] = "object", ["properties"] = batchOutputs };
        definitions["BatchExecutionRequest"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject { ["GlobalParameters"] = Ref("GlobalParameters"), ["Inputs"] = Ref("BatchInputs"), ["Outputs"] = Ref("BatchOutputs") },
        };
        definitions["AzureBlobDataReference"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["BaseLocation"] = new JsonObject { ["type"] = "string" },
                ["ConnectionString"] = new JsonObject { ["type"] = "string" },
                ["RelativeLocation"] = new JsonObject { ["type"] = "string" },
                ["SasBlobToken"] = new JsonObject { ["type"] = "string" },
            },
        };
        definitions["BatchExecutionStatus"] = new JsonObject
        {
            ["type"] = "object",
            ["properties"] = new JsonObject
            {
                ["StatusCode"] = new JsonObject
                {
                    ["type"] = "string",
                    ["enum"] = new JsonArray("NotStarted", "Running", "Failed", "Cancelled", "Finished"),
                    ["default"] = "NotStarted",
                },
                ["Results"] = new JsonObject { ["type"] = "object", ["additionalProperties"] = Ref("AzureBlobDataReference") },
                ["Details"] = new JsonObject { ["type"] = "string" },
            },
        };

        var apiKey = new JsonArray(new JsonObject { ["api_key"] = new JsonArray() });
        var jobId = new JsonObject { ["name"] = "jobId", ["in"] = "path", ["required"] = true, ["type"] = "string" };
        return new JsonObject
        {
            ["swagger"] = "2.0",
            ["info"] = new JsonObject
            {
                ["version"] = "2.0",
                ["title"] = service.Record.Name,
                ["description"] = service.Record.Description,
                ["x-endpoint-name"] = "default",
                ["x-endpoint-description"] = "",
            },
            ["host"] = $"{baseUri.Host}:{baseUri.Port}",
            ["basePath"] = $"{baseUri.AbsolutePath.TrimEnd('/')}/workspaces/{workspaceId}/services/{service.Record.EndpointId}",
            ["schemes"] = new JsonArray(baseUri.Scheme),
            ["consumes"] = new JsonArray("application/json"),
            ["produces"] = new JsonArray("application/json"),
            ["securityDefinitions"] = new JsonObject
            {
                ["api_key"] = new JsonObject { ["type"] = "apiKey", ["name"] = "Authorization", ["in"] = "header", ["description"] = "For example: Bearer abc123" },
            },
            ["paths"] = new JsonObject
            {
                ["/swagger.json"] = new JsonObject
                {
                    ["get"] = new JsonObject { ["summary"] = "Get swagger API document for the web service", ["operationId"] = "getSwaggerDocument", ["responses"] = Ok("Swagger document") },
                },
                ["/execute?api-version=2.0&format=swagger"] = new JsonObject
                {
                    ["post"] = new JsonObject
                    {
                        ["summary"] = "Execute the web service and get a response synchronously",
                        ["operationId"] = "execute",
                        ["parameters"] = new JsonArray(new JsonObject { ["name"] = "body", ["in"] = "body", ["required"] = true, ["schema"] = Ref("ExecutionRequest") }),
                        ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK", ["schema"] = Ref("ExecutionResults") } },
                        ["security"] = apiKey.DeepClone(),
                    },
                },
                ["/jobs?api-version=2.0"] = new JsonObject
                {
                    ["post"] = new JsonObject
                    {
                        ["summary"] = "Submit an asynchronous job to execute the web service",
                        ["operationId"] = "submitjob",
                        ["parameters"] = new JsonArray(new JsonObject { ["name"] = "body", ["in"] = "body", ["required"] = true, ["schema"] = Ref("BatchExecutionRequest") }),
                        ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "The job id", ["schema"] = new JsonObject { ["type"] = "string" } } },
                        ["security"] = apiKey.DeepClone(),
                    },
                },
                ["/jobs/{jobId}/start?api-version=2.0"] = new JsonObject
                {
                    ["post"] = new JsonObject
                    {
                        ["summary"] = "Start a job", ["operationId"] = "startjob", ["parameters"] = new JsonArray(jobId.DeepClone()),
                        ["responses"] = new JsonObject { ["204"] = new JsonObject { ["description"] = "The job is successfully started" } },
                        ["security"] = apiKey.DeepClone(),
                    },
                },
                ["/jobs/{jobId}?api-version=2.0"] = new JsonObject
                {
                    ["get"] = new JsonObject
                    {
                        ["summary"] = "Get the status of a job", ["operationId"] = "getjobstatus", ["parameters"] = new JsonArray(jobId.DeepClone()),
                        ["responses"] = new JsonObject { ["200"] = new JsonObject { ["description"] = "OK", ["schema"] = Ref("BatchExecutionStatus") } },
                        ["security"] = apiKey.DeepClone(),
                    },
                    ["delete"] = new JsonObject
                    {
                        ["summary"] = "Cancel a job", ["operationId"] = "canceljob", ["parameters"] = new JsonArray(jobId.DeepClone()),
                        ["responses"] = new JsonObject { ["204"] = new JsonObject { ["description"] = "The job is successfully cancelled" } },
                        ["security"] = apiKey.DeepClone(),
                    },
                },
            },
            ["definitions"] = definitions,
        };

        static JsonObject Ref(string name) => new() { ["$ref"] = "#/definitions/" + name };

        static JsonObject Ok(string description) => new() { ["200"] = new JsonObject { ["description"] = description } };

        static JsonObject Item(DataSchema schema)
        {
            var properties = new JsonObject();
            foreach (var column in schema)
            {
                properties[column.Name] = column.Type switch
                {
                    ColumnType.Int32 => new JsonObject { ["type"] = "integer", ["format"] = "int32" },
                    ColumnType.Int64 => new JsonObject { ["type"] = "integer", ["format"] = "int64" },
                    ColumnType.Double => new JsonObject { ["type"] = "number", ["format"] = "double" },
                    ColumnType.Boolean => new JsonObject { ["type"] = "boolean" },
                    ColumnType.DateTime => new JsonObject { ["type"] = "string", ["format"] = "date-time" },
                    _ => new JsonObject { ["type"] = "string" },
                };
            }

            return new JsonObject
            {
                ["type"] = "object",
                ["required"] = new JsonArray(schema.Select(c => (JsonNode)c.Name).ToArray()),
                ["properties"] = properties,
            };
        }
    }

    /// <summary>An RRS request body for the service in the table form, one sample row.</summary>
    public static JsonObject SampleRequest(ScoringService service, string? text = null)
    {
        var inputs = new JsonObject();
        foreach (var input in service.Default.Inputs)
        {
            var schema = input.OutputSchema!;
            inputs[input.PortName!] = new JsonObject
            {
                ["ColumnNames"] = new JsonArray(schema.Select(c => (JsonNode)c.Name).ToArray()),
                ["Values"] = new JsonArray(new JsonArray(schema.Select(c => (JsonNode)(c.Type == ColumnType.String ? text ?? "value" : "0")).ToArray())),
            };
        }

        return new JsonObject { ["Inputs"] = inputs, ["GlobalParameters"] = new JsonObject() };
    }

    /// <summary>The API help page: <paramref name="kind"/> is null (overview), <c>score</c> (RRS) or <c>jobs</c> (BES).</summary>
    public static string HelpPage(StudioOptions options, string workspaceId, ScoringService service, string? kind)
    {
        var api = ApiLocation(options, workspaceId, service.Record);
        var sample = SampleRequest(service).ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true });
        var html = new StringBuilder();
        string E(string s) => WebUtility.HtmlEncode(s);
        html.Append("<!DOCTYPE html><html><head><meta charset=\"utf-8\"><title>").Append(E(service.Record.Name)).Append(" - API help</title>")
            .Append("<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}pre{background:#f4f4f4;padding:1em;overflow:auto}code{background:#f4f4f4}</style></head><body>");
        html.Append("<h1>").Append(E(service.Record.Name)).Append("</h1><p>").Append(E(service.Record.Description)).Append("</p>");
        html.Append("<p>Workspace id <code>").Append(workspaceId).Append("</code>, web service id <code>").Append(service.Record.Id)
            .Append("</code>, endpoint <code>").Append(E(service.EndpointName)).Append("</code> (<code>").Append(service.Record.EndpointId).Append("</code>). Swagger: <a href=\"")
            .Append(E(api + "/swagger.json")).Append("\">swagger.json</a>.</p>");
        if (kind is null or "score")
        {
            html.Append("<h2>Request Response</h2><p><b>POST</b> <code>").Append(E(api)).Append("/execute?api-version=2.0&amp;details=true</code></p>")
                .Append("<p>Headers: <code>Authorization: Bearer abc123</code> (required; the API key), <code>Content-Type: application/json</code> (required), ")
                .Append("<code>Accept: application/json</code> (optional).</p>")
                .Append("<p>You may omit the details parameter from the query string. This would cause ColumnTypes to be omitted from the output. ")
                .Append("With <code>format=swagger</code>, inputs and outputs are arrays of row objects.</p><h3>Sample request</h3><pre>").Append(E(sample)).Append("</pre>")
                .Append("<h3>Sample code (Python)</h3><pre>").Append(E(PythonRrs(api))).Append("</pre>")
                .Append("<h3>Sample code (curl)</h3><pre>").Append(E($"curl -X POST \"{api}/execute?api-version=2.0&details=true\" -H \"Authorization: Bearer $API_KEY\" -H \"Content-Type: application/json\" -d '{SampleRequest(service).ToJsonString()}'")).Append("</pre>");
        }

        if (kind is null or "jobs")
        {
            html.Append("<h2>Batch Execution</h2><ul>")
                .Append("<li><b>Submit</b> <code>POST ").Append(E(api)).Append("/jobs?api-version=2.0</code> with a BatchExecutionRequest; answers the job id as a JSON string.</li>")
                .Append("<li><b>Start</b> <code>POST ").Append(E(api)).Append("/jobs/{jobId}/start?api-version=2.0</code>; 204.</li>")
                .Append("<li><b>Status</b> <code>GET ").Append(E(api)).Append("/jobs/{jobId}?api-version=2.0</code>: StatusCode NotStarted, Running, Failed, Cancelled or Finished; Results (BaseLocation + RelativeLocation + SasBlobToken) when Finished.</li>")
                .Append("<li><b>Cancel / delete</b> <code>DELETE ").Append(E(api)).Append("/jobs/{jobId}?api-version=2.0</code>; 204.</li></ul><h3>Sample request</h3><pre>")
                .Append(E("{\"Inputs\":{\"input1\":{\"ConnectionString\":\"DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…\",\"RelativeLocation\":\"mycontainer/input.csv\"}},\n \"Outputs\":{\"output1\":{\"ConnectionString\":\"DefaultEndpointsProtocol=https;AccountName=…;AccountKey=…\",\"RelativeLocation\":\"mycontainer/output.csv\"}},\n \"GlobalParameters\":{}}"))
                .Append("</pre><p>Runnable clients: <code>samples/rrs.py</code> and <code>samples/bes.py</code> in the Tollgate repository.</p>");
        }

        if ((kind is null && service.Resources.Count > 0) || kind == "update")
        {
            var update = $"{options.BaseUrl}/studio/workspaces/{workspaceId}/webservices/{service.Record.Id}/endpoints/{service.EndpointName}";
            var body = new JsonObject
            {
                ["Resources"] = new JsonArray(service.Resources.Select(r => (JsonNode)new JsonObject
                {
                    ["Name"] = r.Name,
                    ["Location"] = new JsonObject
                    {
                        ["BaseLocation"] = "https://mystorageaccount.blob.core.windows.net/",
                        ["RelativeLocation"] = "mycontainer/output1results.ilearner",
                        ["SasBlobToken"] = "?sv=…&sr=b&sig=…&se=…&sp=r",
                    },
                }).ToArray()),
            };
            html.Append("<h2>Update Resource (retraining)</h2><p><b>PATCH</b> <code>").Append(E(update)).Append("</code></p>")
                .Append("<p>Headers: <code>Authorization: Bearer</code> the workspace authorization token, <code>Content-Type: application/json</code>. ")
                .Append("Each resource names a trained model of this endpoint and the <code>.ilearner</code> blob a training web service's BES job wrote ")
                .Append("(its job status gives BaseLocation, RelativeLocation and SasBlobToken). The next call on this endpoint scores with the new model; ")
                .Append("calls in flight finish on the old one.</p>")
                .Append(service.Resources.Count == 0 ? "<p>This endpoint has no trained model to update.</p>" : "")
                .Append("<h3>Sample request</h3><pre>").Append(E(body.ToJsonString(new System.Text.Json.JsonSerializerOptions { WriteIndented = true }))).Append("</pre>");
        }

        html.Append("</body></html>");
        return html.ToString();
    }

    private static string PythonRrs(string api) => $$$"""
        import json, requests
        url = "{{{api}}}/execute?api-version=2.0&details=true"
        api_key = "abc123"  # replace with the API key of the web service
        body = {"Inputs": {"input1": {"ColumnNames": ["Col2"], "Values": [["This is a good day"]]}}, "GlobalParameters": {}}
        r = requests.post(url, json=body, headers={"Authorization": "Bearer " + api_key})
        print(r.status_code, json.dumps(r.json(), indent=2))
        """;
}
