using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Storage;

namespace Tollgate.Studio.Experiments;

/// <summary>
/// One module of a graph: its id in the graph, the module definition, the parameter values as given, and where it sits
/// on the canvas (left and top, in canvas pixels; null when never placed).
/// </summary>
public sealed record GraphModule(string Id, ModuleDefinition Definition, IReadOnlyDictionary<string, object?> Parameters, JsonObject ParametersJson,
    ModulePosition? Position = null);

/// <summary>A module's place on the canvas, in pixels from its top-left corner.</summary>
public sealed record ModulePosition(int X, int Y)
{
    /// <summary>The largest coordinate kept: a canvas is never that large, and a document cannot make it so.</summary>
    public const int Max = 100_000;
}

/// <summary>A connection from a module's output port to another module's input port (port names in their declared spelling).</summary>
public sealed record GraphConnection(string From, string FromPort, string To, string ToPort);

/// <summary>A module parameter exposed as a web service parameter (a <c>GlobalParameters</c> name).</summary>
public sealed record WebServiceParameter(string Name, string ModuleId, string Parameter);

/// <summary>One problem of a graph document, with the JSON path it is about.</summary>
public sealed record GraphProblem(string Target, string Message);

/// <summary>
/// An experiment: modules, connections and web service parameters, stored as JSON. A connection goes from an output
/// port to an input port, each named by module id and port name (the classic port names, e.g. Train Model's
/// <c>Untrained model</c> and <c>Dataset</c>); the port may be left out on a module with one port of that direction.
/// The two ports must have the same data type (DataTable, UntrainedModel, TrainedModel, ITransform).
/// </summary>
/// <remarks>
/// <para>JSON shape:</para>
/// <code>
/// {"name":"SimpleFeatureHashingExperiment","description":"",
///  "modules":[{"id":"data","module":"Saved dataset","parameters":{"Dataset":"Book Reviews from Amazon"},"position":{"x":40,"y":20}},
///             {"id":"select","module":"Select Columns in Dataset","parameters":{"Select columns":"Col2"}},
///             {"id":"hash","module":"Feature Hashing","parameters":{"Target columns":"Col2","Hashing bitsize":3}},
///             {"id":"in","module":"Web service input"},{"id":"out","module":"Web service output"}],
///  "connections":[{"from":"data","to":"select"},{"from":"select","to":"hash"},{"from":"in","to":"hash"},{"from":"hash","to":"out"}],
///  // equivalently, with the ports named: {"from":{"module":"select","port":"Results dataset"},"to":{"module":"hash","port":"Dataset"}}
///  "webServiceParameters":[{"name":"Bits","module":"hash","parameter":"Hashing bitsize"}]}
/// </code>
/// <para>As in Studio, a Web service input shares an input port with the experiment's data: an experiment run uses the
/// data, a web service call uses the request rows instead. A port takes at most one data connection and at most one Web
/// service input. Column selections are a comma-separated list of names, or rules:
/// <c>[{"rule":"all"},{"rule":"names","names":["a"],"exclude":true},{"rule":"types","types":["String"]},{"rule":"indices","ranges":"1-3"}]</c>.</para>
/// <para><c>position</c> (optional, <c>{"x":…,"y":…}</c>) is where the canvas shows the module; it changes nothing in a run.</para>
/// <para>A frozen scoring graph (a published web service) carries <c>inputSchemas</c>: the columns of each web service input.</para>
/// </remarks>
public sealed partial class ExperimentGraph
{
    private ExperimentGraph(string name, string description, IReadOnlyList<GraphModule> modules, IReadOnlyList<GraphConnection> connections,
        IReadOnlyList<WebServiceParameter> parameters, IReadOnlyDictionary<string, DataSchema> inputSchemas)
    {
        Name = name;
        Description = description;
        Modules = modules;
        Connections = connections;
        WebServiceParameters = parameters;
        InputSchemas = inputSchemas;
        ById = modules.ToDictionary(m => m.Id, StringComparer.Ordinal);
        var portNames = new Dictionary<string, string>(StringComparer.Ordinal);
        PortNames = portNames;
        var inputs = 0;
        var outputs = 0;
        foreach (var module in modules)
        {
            if (IsWebServiceInput(module) || IsWebServiceOutput(module))
            {
                var given = module.Parameters.TryGetValue(BuiltInModules.PortNameParameter, out var n) ? n as string : null;
                portNames[module.Id] = !string.IsNullOrWhiteSpace(given)
                    ? given.Trim()
                    : IsWebServiceInput(module) ? "input" + (++inputs).ToString(CultureInfo.InvariantCulture) : "output" + (++outputs).ToString(CultureInfo.InvariantCulture);
            }
        }
    }

    /// <summary>The experiment's name.</summary>
    public string Name { get; }

    /// <summary>A free-text description.</summary>
    public string Description { get; }

    /// <summary>The modules, in document order.</summary>
    public IReadOnlyList<GraphModule> Modules { get; }

    /// <summary>The connections.</summary>
    public IReadOnlyList<GraphConnection> Connections { get; }

    /// <summary>The web service parameters.</summary>
    public IReadOnlyList<WebServiceParameter> WebServiceParameters { get; }

    /// <summary>For a frozen scoring graph: the schema of each web service input by name; empty for an experiment.</summary>
    public IReadOnlyDictionary<string, DataSchema> InputSchemas { get; }

    /// <summary>The modules by id.</summary>
    public IReadOnlyDictionary<string, GraphModule> ById { get; }

    /// <summary>The request/response name of each Web service input / output module, by module id.</summary>
    public IReadOnlyDictionary<string, string> PortNames { get; }

    public static bool IsWebServiceInput(GraphModule module) => module.Definition.Name == ModuleRegistry.WebServiceInput;

    public static bool IsWebServiceOutput(GraphModule module) => module.Definition.Name == ModuleRegistry.WebServiceOutput;

    /// <summary>The connections into <paramref name="moduleId"/>.</summary>
    public IEnumerable<GraphConnection> Into(string moduleId) => Connections.Where(c => c.To == moduleId);

    /// <summary>The declared port of <paramref name="module"/> named <paramref name="port"/> (case-insensitive), or null.</summary>
    public static ModulePort? FindPort(ModuleDefinition module, string port, PortDirection direction) =>
        (direction == PortDirection.Input ? module.Inputs : module.Outputs).FirstOrDefault(p => p.Name.Equals(port, StringComparison.OrdinalIgnoreCase));

    /// <summary>Parses and checks a graph document; every problem is reported, with its JSON path.</summary>
    public static ExperimentGraph? Parse(JsonNode? json, ModuleRegistry registry, List<GraphProblem> problems)
    {
        ArgumentNullException.ThrowIfNull(registry);
        ArgumentNullException.ThrowIfNull(problems);
        if (json is not JsonObject root)
        {
            problems.Add(new("", "The experiment must be a JSON object."));
            return null;
        }

        var name = root["name"] is JsonValue nv && nv.TryGetValue<string>(out var n) ? n.Trim() : "";
        if (name.Length is 0 or > 256)
        {
            problems.Add(new("name", "The experiment needs a name of 1 to 256 characters."));
        }

        var description = root["description"] is JsonValue dv && dv.TryGetValue<string>(out var d) ? d : "";
        var modules = new List<GraphModule>();
        var ids = new HashSet<string>(StringComparer.Ordinal);
        var moduleArray = root["modules"] as JsonArray;
        if (root["modules"] is not null and not JsonArray)
        {
            problems.Add(new("modules", "modules must be an array."));
        }

        for (var i = 0; i < (moduleArray?.Count ?? 0); i++)
        {
            var path = $"modules[{i}]";
            if (moduleArray![i] is not JsonObject m)
            {
                problems.Add(new(path, "A module must be an object."));
                continue;
            }

            var id = m["id"] is JsonValue iv && iv.TryGetValue<string>(out var idText) ? idText : null;
            if (id is null || !IdPattern().IsMatch(id))
            {
                problems.Add(new(path + ".id", "A module id is 1 to 64 letters, digits, '-', '_' or '.'."));
                continue;
            }

            if (!ids.Add(id))
            {
                problems.Add(new(path + ".id", $"The module id '{id}' appears more than once."));
                continue;
            }

            var moduleName = m["module"] is JsonValue mv && mv.TryGetValue<string>(out var mn) ? mn : null;
            if (moduleName is null || !registry.TryGet(moduleName, out var definition))
            {
                problems.Add(new(path + ".module", $"Unknown module '{moduleName}'. Modules: {string.Join(", ", registry.Modules.Select(x => x.Name))}."));
                continue;
            }

            var parameters = new Dictionary<string, object?>(StringComparer.OrdinalIgnoreCase);
            var parametersJson = new JsonObject();
            if (m["parameters"] is JsonObject p)
            {
                foreach (var (key, value) in p)
                {
                    if (definition.FindParameter(key) is not { } parameter)
                    {
                        problems.Add(new($"{path}.parameters.{key}", $"Module '{definition.Name}' has no parameter '{key}'. Parameters: {string.Join(", ", definition.Parameters.Select(x => x.Name))}."));
                        continue;
                    }

                    if (!TryConvertParameter(parameter, value, out var converted, out var error))
                    {
                        problems.Add(new($"{path}.parameters.{key}", error));
                        continue;
                    }

                    parameters[parameter.Name] = converted;
                    parametersJson[parameter.Name] = value?.DeepClone();
                }
            }
            else if (m["parameters"] is not null)
            {
                problems.Add(new(path + ".parameters", "parameters must be an object."));
            }

            ModulePosition? position = null;
            if (m["position"] is JsonObject at)
            {
                if (at["x"] is JsonValue xv && xv.TryGetValue<int>(out var x) && at["y"] is JsonValue yv && yv.TryGetValue<int>(out var y)
                    && x is >= 0 and <= ModulePosition.Max && y is >= 0 and <= ModulePosition.Max)
                {
                    position = new ModulePosition(x, y);
                }
                else
                {
                    problems.Add(new(path + ".position", $"position is {{\"x\":…,\"y\":…}}: whole numbers of pixels from 0 to {ModulePosition.Max}."));
                }
            }
            else if (m["position"] is not null)
            {
                problems.Add(new(path + ".position", "position must be an object: {\"x\":…,\"y\":…}."));
            }

            modules.Add(new GraphModule(id, definition, parameters, parametersJson, position));
        }

        var byId = modules.ToDictionary(m => m.Id, StringComparer.Ordinal);
        var connections = new List<GraphConnection>();
        var connectionArray = root["connections"] as JsonArray;
        if (root["connections"] is not null and not JsonArray)
        {
            problems.Add(new("connections", "connections must be an array."));
        }

        for (var i = 0; i < (connectionArray?.Count ?? 0); i++)
        {
            var path = $"connections[{i}]";
            if (connectionArray![i] is not JsonObject c)
            {
                problems.Add(new(path, "A connection must be an object: {\"from\":{\"module\":id,\"port\":name},\"to\":{\"module\":id,\"port\":name}} (or {\"from\":id,\"to\":id} between single-port modules)."));
                continue;
            }

            var fromEnd = ReadEnd(c, "from", byId, PortDirection.Output, path, problems);
            if (fromEnd is null)
            {
                continue;
            }

            var toEnd = ReadEnd(c, "to", byId, PortDirection.Input, path, problems);
            if (toEnd is null)
            {
                continue;
            }

            var (source, fromPort) = fromEnd.Value;
            var (target, toPort) = toEnd.Value;
            var link = $"'{source.Id}'.'{fromPort.Name}' → '{target.Id}'.'{toPort.Name}'";
            // [I] A Web service output also takes a trained model (Train Model's output): a training web service, whose BES
            // job writes the model to an .ilearner blob (retraining, as in Studio classic).
            var modelOut = IsWebServiceOutput(target) && fromPort.DataType == ModulePort.TrainedModel;
            if (!modelOut && !string.Equals(fromPort.DataType, toPort.DataType, StringComparison.Ordinal))
            {
                problems.Add(new(path, $"The connection {link} joins an output of type {fromPort.DataType} to an input of type {toPort.DataType}; "
                    + $"'{toPort.Name}' of {target.Definition.Name} takes {toPort.DataType}."));
                continue;
            }

            var duplicate = connections.Any(x => x.To == target.Id && x.ToPort == toPort.Name && IsWebServiceInput(byId[x.From]) == IsWebServiceInput(source));
            if (duplicate)
            {
                problems.Add(new(path, IsWebServiceInput(source)
                    ? $"The input port '{toPort.Name}' of '{target.Id}' already has a Web service input."
                    : $"The input port '{toPort.Name}' of '{target.Id}' already has a connection; a port takes one dataset (and optionally one Web service input)."));
                continue;
            }

            connections.Add(new GraphConnection(source.Id, fromPort.Name, target.Id, toPort.Name));
        }

        var parametersExposed = new List<WebServiceParameter>();
        if (root["webServiceParameters"] is JsonArray wsp)
        {
            for (var i = 0; i < wsp.Count; i++)
            {
                var path = $"webServiceParameters[{i}]";
                var pn = (wsp[i]?["name"] as JsonValue)?.TryGetValue<string>(out var x) == true ? x : null;
                var pm = (wsp[i]?["module"] as JsonValue)?.TryGetValue<string>(out var y) == true ? y : null;
                var pp = (wsp[i]?["parameter"] as JsonValue)?.TryGetValue<string>(out var z) == true ? z : null;
                if (string.IsNullOrWhiteSpace(pn) || parametersExposed.Any(e => e.Name.Equals(pn, StringComparison.Ordinal)))
                {
                    problems.Add(new(path + ".name", "A web service parameter needs a unique, non-empty name."));
                }
                else if (pm is null || !byId.TryGetValue(pm, out var module))
                {
                    problems.Add(new(path + ".module", $"'{pm}' is not a module id of this experiment."));
                }
                else if (pp is null || module.Definition.FindParameter(pp) is not { } parameter || parameter.Type == ModuleParameterType.ColumnSelection)
                {
                    problems.Add(new(path + ".parameter", $"Module '{pm}' has no parameter '{pp}' that can be a web service parameter (int, string or enum)."));
                }
                else
                {
                    parametersExposed.Add(new WebServiceParameter(pn, pm, parameter.Name));
                }
            }
        }

        var inputSchemas = new Dictionary<string, DataSchema>(StringComparer.Ordinal);
        if (root["inputSchemas"] is JsonObject schemas)
        {
            foreach (var (inputName, columns) in schemas)
            {
                try
                {
                    inputSchemas[inputName] = SchemaJson.FromJson(columns!.AsArray());
                }
                catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NullReferenceException or FormatException)
                {
                    problems.Add(new($"inputSchemas.{inputName}", "An input schema is an array of {\"name\",\"type\"}."));
                }
            }
        }

        if (problems.Count > 0)
        {
            return null;
        }

        var graph = new ExperimentGraph(name, description, modules, connections, parametersExposed, inputSchemas);
        var duplicateNames = graph.PortNames.GroupBy(p => (IsWebServiceInput(byId[p.Key]), p.Value)).Where(g => g.Count() > 1);
        foreach (var group in duplicateNames)
        {
            problems.Add(new("modules", $"Two web service {(group.Key.Item1 ? "inputs" : "outputs")} are named '{group.Key.Value}'."));
        }

        if (graph.TopologicalOrder() is null)
        {
            problems.Add(new("connections", "The connections form a cycle."));
        }

        return problems.Count > 0 ? null : graph;
    }

    /// <summary>Parses a stored graph (which was checked when it was saved).</summary>
    public static ExperimentGraph Load(string json, ModuleRegistry registry)
    {
        var problems = new List<GraphProblem>();
        return Parse(JsonNode.Parse(json), registry, problems)
            ?? throw new InvalidOperationException("A stored graph is not valid: " + string.Join("; ", problems.Select(p => $"{p.Target}: {p.Message}")));
    }

    /// <summary>The graph as JSON (the same shape <see cref="Parse"/> reads).</summary>
    public JsonObject ToJson()
    {
        var json = new JsonObject
        {
            ["name"] = Name,
            ["description"] = Description,
            ["modules"] = new JsonArray(Modules.Select(m =>
            {
                var module = new JsonObject
                {
                    ["id"] = m.Id,
                    ["module"] = m.Definition.Name,
                    ["parameters"] = m.ParametersJson.DeepClone(),
                };
                if (m.Position is { } at)
                {
                    module["position"] = new JsonObject { ["x"] = at.X, ["y"] = at.Y };
                }

                return (JsonNode)module;
            }).ToArray()),
            ["connections"] = new JsonArray(Connections.Select(c => (JsonNode)new JsonObject
            {
                ["from"] = new JsonObject { ["module"] = c.From, ["port"] = c.FromPort },
                ["to"] = new JsonObject { ["module"] = c.To, ["port"] = c.ToPort },
            }).ToArray()),
            ["webServiceParameters"] = new JsonArray(WebServiceParameters.Select(p => (JsonNode)new JsonObject
            {
                ["name"] = p.Name,
                ["module"] = p.ModuleId,
                ["parameter"] = p.Parameter,
            }).ToArray()),
        };
        if (InputSchemas.Count > 0)
        {
            json["inputSchemas"] = new JsonObject(InputSchemas.Select(kv => KeyValuePair.Create(kv.Key, (JsonNode?)SchemaJson.ToJson(kv.Value))));
        }

        return json;
    }

    /// <summary>
    /// A frozen copy: only <paramref name="keep"/>, connections between kept modules, and the input schemas; Trained
    /// model modules name the model id of <paramref name="modelIds"/> (by the name they used).
    /// </summary>
    internal ExperimentGraph Freeze(IReadOnlySet<string> keep, IReadOnlyDictionary<string, DataSchema> inputSchemas, IEnumerable<GraphConnection> connections,
        IReadOnlyDictionary<string, string> modelIds) =>
        new(Name, Description, Modules.Where(m => keep.Contains(m.Id)).Select(m => Pin(m, modelIds)).ToArray(), connections.ToArray(),
            WebServiceParameters.Where(p => keep.Contains(p.ModuleId)).ToArray(), inputSchemas);

    private static GraphModule Pin(GraphModule module, IReadOnlyDictionary<string, string> modelIds)
    {
        if (module.Definition.Name != ModuleRegistry.TrainedModel
            || !module.Parameters.TryGetValue(BuiltInModules.TrainedModelParameter, out var value) || value is not string name
            || !modelIds.TryGetValue(name, out var id))
        {
            return module;
        }

        var parameters = new Dictionary<string, object?>(module.Parameters, StringComparer.OrdinalIgnoreCase) { [BuiltInModules.TrainedModelParameter] = id };
        var json = (JsonObject)module.ParametersJson.DeepClone();
        json[BuiltInModules.TrainedModelParameter] = id;
        return module with { Parameters = parameters, ParametersJson = json };
    }

    /// <summary>The module ids in an order where every connection goes forward, or null when there is a cycle.</summary>
    public IReadOnlyList<string>? TopologicalOrder()
    {
        var indegree = Modules.ToDictionary(m => m.Id, _ => 0, StringComparer.Ordinal);
        foreach (var c in Connections)
        {
            indegree[c.To]++;
        }

        var ready = new Queue<string>(Modules.Where(m => indegree[m.Id] == 0).Select(m => m.Id));
        var order = new List<string>();
        while (ready.Count > 0)
        {
            var id = ready.Dequeue();
            order.Add(id);
            foreach (var c in Connections.Where(c => c.From == id))
            {
                if (--indegree[c.To] == 0)
                {
                    ready.Enqueue(c.To);
                }
            }
        }

        return order.Count == Modules.Count ? order : null;
    }

    /// <summary>
    /// Reads one end of a connection: <c>"a"</c> (with an optional <c>fromPort</c>/<c>toPort</c>) or
    /// <c>{"module":"a","port":"Dataset"}</c>. Without a port name, the module must have one port of that direction.
    /// </summary>
    private static (GraphModule Module, ModulePort Port)? ReadEnd(JsonObject connection, string end, IReadOnlyDictionary<string, GraphModule> byId,
        PortDirection direction, string path, List<GraphProblem> problems)
    {
        var node = connection[end];
        string? id;
        string? port;
        var portPath = $"{path}.{end}.port";
        if (node is JsonObject o)
        {
            id = (o["module"] as JsonValue)?.TryGetValue<string>(out var m) == true ? m : null;
            port = (o["port"] as JsonValue)?.TryGetValue<string>(out var pn) == true ? pn : null;
            if (o["port"] is not null && port is null)
            {
                problems.Add(new(portPath, "A port is named by a string."));
                return null;
            }

            if (id is null)
            {
                problems.Add(new($"{path}.{end}.module", $"The {end} end of a connection needs \"module\", a module id of this experiment."));
                return null;
            }
        }
        else
        {
            id = (node as JsonValue)?.TryGetValue<string>(out var f) == true ? f : null;
            port = (connection[end + "Port"] as JsonValue)?.TryGetValue<string>(out var fp) == true ? fp : null;
            portPath = $"{path}.{end}Port";
        }

        if (id is null || !byId.TryGetValue(id, out var module))
        {
            problems.Add(new($"{path}.{end}", $"'{id}' is not a module id of this experiment."));
            return null;
        }

        var ports = direction == PortDirection.Input ? module.Definition.Inputs : module.Definition.Outputs;
        var kind = direction == PortDirection.Input ? "input" : "output";
        if (ports.Count == 0)
        {
            problems.Add(new($"{path}.{end}", $"Module '{id}' ({module.Definition.Name}) has no {kind} port."));
            return null;
        }

        if (port is null)
        {
            if (ports.Count == 1)
            {
                return (module, ports[0]);
            }

            problems.Add(new(portPath, $"Module '{id}' ({module.Definition.Name}) has {ports.Count} {kind} ports ({string.Join(", ", ports.Select(p => $"'{p.Name}'"))}); "
                + $"name one: {{\"{end}\":{{\"module\":\"{id}\",\"port\":\"{ports[0].Name}\"}}}}."));
            return null;
        }

        if (FindPort(module.Definition, port, direction) is not { } found)
        {
            problems.Add(new(portPath, $"Module '{id}' ({module.Definition.Name}) has no {kind} port '{port}'. Its {kind} ports: {string.Join(", ", ports.Select(p => $"'{p.Name}'"))}."));
            return null;
        }

        return (module, found);
    }

    private static bool TryConvertParameter(ModuleParameter parameter, JsonNode? value, out object? converted, out string error)
    {
        converted = null;
        error = "";
        switch (value)
        {
            case null:
                return true;
            case JsonValue v when v.GetValueKind() == JsonValueKind.String:
                converted = v.GetValue<string>();
                return true;
            case JsonValue v when v.GetValueKind() == JsonValueKind.Number:
                if (v.TryGetValue<long>(out var l))
                {
                    converted = l;
                }
                else
                {
                    var dbl = v.GetValue<double>();
                    converted = dbl == Math.Floor(dbl) && Math.Abs(dbl) < long.MaxValue ? (long)dbl : dbl.ToString("R", CultureInfo.InvariantCulture);
                }

                return true;
            case JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False:
                converted = v.GetValue<bool>() ? "True" : "False";
                return true;
            case JsonArray or JsonObject when parameter.Type == ModuleParameterType.ColumnSelection:
                return ColumnSelectionJson.TryParse(value, out converted, out error);
            default:
                error = $"Parameter '{parameter.Name}' needs a {parameter.Type} value.";
                return false;
        }
    }

    [GeneratedRegex("^[A-Za-z0-9_.-]{1,64}$")]
    private static partial Regex IdPattern();
}

/// <summary>Column selections in experiment JSON: rules as an array (or <c>{"rules":[…]}</c>).</summary>
public static class ColumnSelectionJson
{
    /// <summary>The rules of <paramref name="selection"/> in the array form <see cref="TryParse"/> reads.</summary>
    public static JsonArray ToJson(ColumnSelection selection)
    {
        ArgumentNullException.ThrowIfNull(selection);
        return new JsonArray(selection.Rules.Select(r =>
        {
            var rule = r.Kind switch
            {
                ColumnRuleKind.AllColumns => new JsonObject { ["rule"] = "all" },
                ColumnRuleKind.Names => new JsonObject { ["rule"] = "names", ["names"] = new JsonArray(r.Names.Select(n => (JsonNode)n).ToArray()) },
                ColumnRuleKind.Types => new JsonObject { ["rule"] = "types", ["types"] = new JsonArray(r.Types.Select(t => (JsonNode)t.ToString()).ToArray()) },
                _ => new JsonObject { ["rule"] = "indices", ["ranges"] = string.Join(",", r.Ranges.Select(x => x.First == x.Last ? $"{x.First}" : $"{x.First}-{x.Last}")) },
            };
            if (r.Exclude)
            {
                rule["exclude"] = true;
            }

            return (JsonNode)rule;
        }).ToArray());
    }

    public static bool TryParse(JsonNode? json, out object? selection, out string error)
    {
        selection = null;
        error = "";
        var rules = json is JsonObject o ? o["rules"] as JsonArray : json as JsonArray;
        if (rules is null || rules.Count == 0)
        {
            error = "A column selection is a comma-separated list of names or a non-empty array of rules.";
            return false;
        }

        var list = new List<ColumnSelectionRule>();
        foreach (var node in rules)
        {
            var exclude = node?["exclude"] is JsonValue ev && ev.TryGetValue<bool>(out var e) && e;
            var kind = (node?["rule"] as JsonValue)?.TryGetValue<string>(out var k) == true ? k.ToLowerInvariant() : null;
            try
            {
                switch (kind)
                {
                    case "all":
                        list.Add(ColumnSelectionRule.All(exclude));
                        break;
                    case "names":
                        list.Add(ColumnSelectionRule.ByName(node!["names"]!.AsArray().Select(x => (string)x!), exclude));
                        break;
                    case "types":
                        list.Add(ColumnSelectionRule.ByType(node!["types"]!.AsArray().Select(x => Enum.Parse<ColumnType>((string)x!, ignoreCase: true)), exclude));
                        break;
                    case "indices":
                        list.Add(ColumnSelectionRule.ByIndexRanges((string)node!["ranges"]!, exclude));
                        break;
                    default:
                        error = $"Unknown column selection rule '{kind}'; rules are all, names, types, indices.";
                        return false;
                }
            }
            catch (Exception ex) when (ex is InvalidOperationException or ArgumentException or NullReferenceException or FormatException or StudioModuleException)
            {
                error = $"The column selection rule '{kind}' is not valid: {ex.Message}";
                return false;
            }
        }

        selection = new ColumnSelection(list);
        return true;
    }
}
