using System.Globalization;
using System.Text.Json.Nodes;
using Microsoft.AspNetCore.Components;
using Microsoft.AspNetCore.Components.Web;
using Microsoft.JSInterop;
using Tollgate.Portal.Studio;

namespace Tollgate.Portal.Components.Studio;

/// <summary>
/// The canvas of one experiment, interactive on the server. It holds the experiment document as Studio returned it,
/// edits it in place (modules, positions, connections, parameters) and saves the whole document after each change:
/// Studio checks it, and what Studio refuses is shown next to the module and field it names while the canvas keeps
/// the user's work, to be saved with the next valid change.
/// </summary>
public sealed partial class ExperimentCanvas
{
    private const int NodeWidth = 200;
    private const int NodeHeight = 96;
    private const int Step = 20;
    private const int UndoDepth = 100;

    private readonly CancellationTokenSource _disposed = new();
    private readonly Stack<string> _undo = new();
    private readonly Stack<string> _redo = new();
    private List<ModuleInfo> _catalog = [];
    private readonly List<string> _datasets = [];

    /// <summary>The workspace's trained models by name (Train Model outputs saved by runs, imported ONNX models).</summary>
    private readonly List<string> _trainedModels = [];
    private readonly Dictionary<string, List<ColumnInfo>> _datasetColumns = new(StringComparer.OrdinalIgnoreCase);
    private JsonObject _graph = new();

    private readonly SemaphoreSlim _saving = new(1, 1);
    private string? _token;
    private string? _selected;
    private string _search = "";
    private string? _status;
    private string? _problem;
    private List<(string Target, string Message)> _problems = [];
    private List<(string Module, string? Parameter, string Message)> _moduleErrors = [];
    private (string Module, string Port, string Type)? _connectFrom;
    private Dragged? _dragged;
    private ColumnPicker? _columns;
    private (string Id, string Name)? _predictive;
    private ElementReference _canvas;
    private IJSObjectReference? _js;
    private bool _ready;

    [Inject] private StudioClient Studio { get; set; } = null!;

    [Inject] private IJSRuntime JS { get; set; } = null!;

    /// <summary>
    /// The workspace token of the page's signed-in user, handed over by the page as it renders: the circuit's own
    /// connection (<c>/_blazor</c>) is outside <c>/studio</c>, so it carries the developer portal's session, not
    /// Studio's. Parameters of an interactive component travel data-protected (encrypted and signed) in the page.
    /// </summary>
    [Parameter, EditorRequired] public string? WorkspaceToken { get; set; }

    /// <summary>The experiment's id.</summary>
    [Parameter, EditorRequired] public string ExperimentId { get; set; } = "";

    /// <summary>The last run's id, if any (Visualize links and the column selector's upstream columns).</summary>
    [Parameter] public string? RunId { get; set; }

    /// <summary>Each module's state in the last run (Finished, Failed, …), by module id.</summary>
    [Parameter] public Dictionary<string, string> States { get; set; } = [];

    private int CanvasHeight => Math.Max(480, Modules().Select(m => Position(m).Y).DefaultIfEmpty(0).Max() + NodeHeight + 120);

    protected override async Task OnInitializedAsync()
    {
        if (!RendererInfo.IsInteractive)
        {
            return;
        }

        var ct = _disposed.Token;
        _token = WorkspaceToken;
        if (_token is null)
        {
            _problem = "Sign in to Studio again: this page has no workspace token.";
            return;
        }

        var modules = await Studio.SendWithTokenAsync(HttpMethod.Get, "studio/modules", null, _token, ct);
        var experiment = await Studio.SendWithTokenAsync(HttpMethod.Get, $"studio/experiments/{Uri.EscapeDataString(ExperimentId)}", null, _token, ct);
        var datasets = await Studio.SendWithTokenAsync(HttpMethod.Get, "studio/datasets", null, _token, ct);
        var trainedModels = await Studio.SendWithTokenAsync(HttpMethod.Get, "studio/trainedmodels", null, _token, ct);
        if (!modules.Ok || !experiment.Ok)
        {
            _problem = (modules.Error ?? experiment.Error)!.Message;
            return;
        }

        _catalog = (modules.Body!["value"] as JsonArray ?? []).OfType<JsonObject>().Select(ModuleInfo.From).ToList();
        foreach (var dataset in (datasets.Body?["value"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var name = (string?)dataset["name"] ?? "";
            _datasets.Add(name);
            _datasetColumns[name] = Columns(dataset["columns"]);
        }

        _trainedModels.AddRange((trainedModels.Body?["value"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(m => (string?)m["name"]).OfType<string>().Distinct(StringComparer.Ordinal).Order(StringComparer.OrdinalIgnoreCase));
        _graph = experiment.Body!["graph"] as JsonObject ?? new JsonObject();
        _moduleErrors = ModuleErrors(experiment.Body);
        _ready = true;
    }

    protected override async Task OnAfterRenderAsync(bool firstRender)
    {
        if (_ready && _js is null)
        {
            _js = await JS.InvokeAsync<IJSObjectReference>("import", "./_content/Tollgate.Portal/canvas.js");
            await _js.InvokeVoidAsync("attach", _canvas);
        }
    }

    // ---- reading the document ----

    private List<JsonObject> Modules() => (_graph["modules"] as JsonArray ?? []).OfType<JsonObject>().ToList();

    /// <summary>The module with this id in the document, or null.</summary>
    private JsonObject? Module(string? id) =>
        (_graph["modules"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(m => (string?)m["id"] == id);

    private JsonObject? SelectedModule() => _selected is null ? null : Module(_selected);

    private ModuleInfo? Definition(string? name) => _catalog.FirstOrDefault(m => string.Equals(m.Name, name, StringComparison.OrdinalIgnoreCase));

    private IEnumerable<IGrouping<string, PaletteItem>> Palette()
    {
        var items = new List<PaletteItem>();
        foreach (var dataset in _datasets)
        {
            items.Add(new PaletteItem("Saved Datasets", dataset, "Saved dataset", "A dataset saved in the workspace.", "Dataset", dataset));
        }

        foreach (var model in _trainedModels)
        {
            items.Add(new PaletteItem("Trained Models", model, TrainedModelModule, "A trained model saved in the workspace.", TrainedModelModule, model));
        }

        foreach (var module in _catalog.Where(m => m.Name is not ("Saved dataset" or TrainedModelModule)))
        {
            items.Add(new PaletteItem(module.Category.Split(" / ")[0], module.Name, module.Name, module.Description, null, null));
        }

        var search = _search.Trim();
        return items.Where(i => search.Length == 0 || i.Label.Contains(search, StringComparison.OrdinalIgnoreCase) || i.Group.Contains(search, StringComparison.OrdinalIgnoreCase))
            .GroupBy(i => i.Group);
    }

    private static (int X, int Y) Position(JsonObject module) =>
        module["position"] is JsonObject p && p["x"] is JsonValue x && x.TryGetValue<int>(out var px) && p["y"] is JsonValue y && y.TryGetValue<int>(out var py)
            ? (px, py) : (20, 20);

    private IEnumerable<Connection> Connections()
    {
        foreach (var c in (_graph["connections"] as JsonArray ?? []).OfType<JsonObject>())
        {
            var (from, fromPort) = End(c["from"]);
            var (to, toPort) = End(c["to"]);
            yield return new Connection(from, fromPort, to, toPort);
        }
    }

    private static (string Module, string? Port) End(JsonNode? end) => end switch
    {
        JsonObject o => ((string?)o["module"] ?? "", (string?)o["port"]),
        JsonValue v when v.TryGetValue<string>(out var s) => (s.Split(':')[0], s.Contains(':', StringComparison.Ordinal) ? s[(s.IndexOf(':', StringComparison.Ordinal) + 1)..] : null),
        _ => ("", null),
    };

    /// <summary>The line of a connection, from the bottom of its output port to the top of its input port.</summary>
    private (int X1, int Y1, int X2, int Y2)? Wire(Connection c)
    {
        var from = Module(c.From);
        var to = Module(c.To);
        if (from is null || to is null)
        {
            return null;
        }

        var (fx, fy) = Position(from);
        var (tx, ty) = Position(to);
        var outputs = Definition((string?)from["module"])?.Outputs ?? [];
        var inputs = Definition((string?)to["module"])?.Inputs ?? [];
        return (fx + PortX(outputs.Count, Math.Max(0, IndexOf(outputs, c.FromPort))), fy + NodeHeight, tx + PortX(inputs.Count, Math.Max(0, IndexOf(inputs, c.ToPort))), ty);
    }

    private static int IndexOf(IReadOnlyList<PortInfo> ports, string? name) =>
        name is null ? 0 : ports.ToList().FindIndex(p => string.Equals(p.Name, name, StringComparison.OrdinalIgnoreCase));

    private static int PortX(int count, int index) => count <= 1 ? NodeWidth / 2 : (NodeWidth * (2 * index + 1)) / (2 * count);

    /// <summary>What a module's card says: a saved dataset or trained model by its name, as in Studio; others by the module's name.</summary>
    private static string Title(JsonObject module, ModuleInfo? definition) =>
        string.Equals((string?)module["module"], "Saved dataset", StringComparison.OrdinalIgnoreCase) && (string?)module["parameters"]?["Dataset"] is { Length: > 0 } dataset
            ? dataset
            : string.Equals((string?)module["module"], TrainedModelModule, StringComparison.OrdinalIgnoreCase) && (string?)module["parameters"]?[TrainedModelModule] is { Length: > 0 } model
                ? model
                : definition?.Name ?? (string?)module["module"] ?? "";

    private string StateOf(string id) => States.TryGetValue(id, out var state) ? state : "Not run";

    /// <summary>Studio's refusal of the last save about this module, and the module's own parameter errors.</summary>
    private IEnumerable<string> Problems(string moduleId)
    {
        var index = Modules().FindIndex(m => (string?)m["id"] == moduleId);
        return _problems.Where(p => p.Target.StartsWith($"modules[{index}]", StringComparison.Ordinal)).Select(p => p.Message)
            .Concat(_moduleErrors.Where(e => e.Module == moduleId).Select(e => e.Message));
    }

    private string? ParameterProblem(string moduleId, string parameter)
    {
        var index = Modules().FindIndex(m => (string?)m["id"] == moduleId);
        return _problems.Where(p => string.Equals(p.Target, $"modules[{index}].parameters.{parameter}", StringComparison.OrdinalIgnoreCase)).Select(p => p.Message)
            .Concat(_moduleErrors.Where(e => e.Module == moduleId && string.Equals(e.Parameter, parameter, StringComparison.OrdinalIgnoreCase)).Select(e => e.Message))
            .FirstOrDefault();
    }

    private static List<(string Module, string? Parameter, string Message)> ModuleErrors(JsonObject? experiment) =>
        (experiment?["moduleErrors"] as JsonArray ?? []).OfType<JsonObject>()
            .Select(e => ((string?)e["module"] ?? "", (string?)e["parameter"], (string?)e["message"] ?? "")).ToList();

    private static string ParameterText(JsonObject module, ParameterInfo parameter)
    {
        var value = module["parameters"]?[parameter.Name] ?? (module["parameters"] as JsonObject)?.FirstOrDefault(kv => string.Equals(kv.Key, parameter.Name, StringComparison.OrdinalIgnoreCase)).Value;
        value ??= parameter.Default;
        return value switch
        {
            null => "",
            JsonValue v when v.TryGetValue<string>(out var s) => s,
            JsonValue v when v.TryGetValue<bool>(out var b) => b ? "True" : "False",
            JsonArray rules => ColumnRulesText(rules),
            _ => value.ToJsonString(),
        };
    }

    /// <summary>A column selection as the text field shows it: names, or the rules as JSON when they are more than names.</summary>
    private static string ColumnRulesText(JsonArray rules) =>
        rules.Count == 1 && rules[0] is JsonObject r && (string?)r["rule"] == "names" && r["exclude"] is null && r["names"] is JsonArray names
            ? string.Join(",", names.Select(n => (string?)n))
            : rules.ToJsonString();

    private static string Range(ParameterInfo p) =>
        (p.Min, p.Max) switch
        {
            ({ } min, { } max) => $"From {min} to {max}.",
            ({ } min, null) => $"At least {min}.",
            (null, { } max) => $"At most {max}.",
            _ => p.Type == "Int" ? "A whole number." : "A number.",
        } + (p.Default is null ? " Required." : $" Default: {p.Default.ToJsonString().Trim('"')}.");

    /// <summary>Whether an output of <paramref name="outputType"/> may feed an input of <paramref name="inputType"/> of module <paramref name="target"/>:
    /// the same type, or a trained model into a Web service output (a training web service, for retraining).</summary>
    private static bool Compatible(string outputType, string inputType, string? target) =>
        string.Equals(outputType, inputType, StringComparison.Ordinal)
        || (outputType == "TrainedModel" && string.Equals(target, "Web service output", StringComparison.OrdinalIgnoreCase));

    // ---- changing it ----

    private async Task AddAsync(PaletteItem item, (int X, int Y)? at)
    {
        var definition = Definition(item.Module);
        if (definition is null)
        {
            return;
        }

        var modules = Modules();
        var id = NewId(definition.Name);
        var place = at ?? (20, modules.Count == 0 ? 20 : modules.Max(m => Position(m).Y) + NodeHeight + 40);
        var module = new JsonObject
        {
            ["id"] = id,
            ["module"] = definition.Name,
            ["parameters"] = item.Parameter is null ? new JsonObject() : new JsonObject { [item.Parameter] = item.Value },
            ["position"] = new JsonObject { ["x"] = Clamp(place.X), ["y"] = Clamp(place.Y) },
        };
        await ChangeAsync(() =>
        {
            Array("modules").Add(module);
            _selected = id;
        }, $"{definition.Name} added as {id}.");
    }

    private string NewId(string moduleName)
    {
        var stem = new string(moduleName.ToLowerInvariant().Select(c => char.IsAsciiLetterOrDigit(c) ? c : '-').ToArray()).Trim('-');
        stem = stem.Length > 40 ? stem[..40].Trim('-') : stem;
        var taken = Modules().Select(m => (string?)m["id"]).ToHashSet(StringComparer.Ordinal);
        for (var n = 1; ; n++)
        {
            var id = n == 1 ? stem : $"{stem}-{n}";
            if (!taken.Contains(id))
            {
                return id;
            }
        }
    }

    private static int Clamp(int v) => Math.Clamp(v, 0, 20_000);

    private JsonArray Array(string name)
    {
        if (_graph[name] is not JsonArray array)
        {
            array = [];
            _graph[name] = array;
        }

        return array;
    }

    private async Task DropAsync(DragEventArgs e)
    {
        var dragged = _dragged;
        _dragged = null;
        if (dragged is null || _js is null)
        {
            return;
        }

        var origin = await _js.InvokeAsync<double[]>("origin", _canvas);
        var x = (int)(e.ClientX - origin[0]) - NodeWidth / 2;
        var y = (int)(e.ClientY - origin[1]) - 20;
        x = Math.Max(0, x - x % 10);
        y = Math.Max(0, y - y % 10);
        if (dragged.Item is { } item)
        {
            await AddAsync(item, (x, y));
        }
        else if (dragged.Module is { } id)
        {
            await MoveToAsync(id, x, y);
        }
    }

    private async Task MoveToAsync(string id, int x, int y)
    {
        var module = Module(id);
        if (module is null)
        {
            return;
        }

        await ChangeAsync(() => module["position"] = new JsonObject { ["x"] = Clamp(x), ["y"] = Clamp(y) }, $"{id} moved.");
    }

    private async Task NodeKeyAsync(KeyboardEventArgs e, string id)
    {
        var module = Module(id);
        if (module is null)
        {
            return;
        }

        var (x, y) = Position(module);
        var step = e.ShiftKey ? Step * 5 : Step;
        switch (e.Key)
        {
            case "ArrowLeft": await MoveToAsync(id, x - step, y); break;
            case "ArrowRight": await MoveToAsync(id, x + step, y); break;
            case "ArrowUp": await MoveToAsync(id, x, y - step); break;
            case "ArrowDown": await MoveToAsync(id, x, y + step); break;
            case "Delete" or "Backspace": await DeleteAsync(id); break;
            case "Enter" or " ": Select(id); break;
        }
    }

    private async Task CanvasKey(KeyboardEventArgs e)
    {
        if (e.Key == "Escape")
        {
            CancelConnect();
        }
        else if ((e.CtrlKey || e.MetaKey) && e.Key is "z" or "Z")
        {
            await (e.ShiftKey ? RedoAsync() : UndoAsync());
        }
        else if ((e.CtrlKey || e.MetaKey) && e.Key is "y" or "Y")
        {
            await RedoAsync();
        }
    }

    private void Select(string id)
    {
        _selected = id;
        _status = $"{id} selected.";
    }

    private void ConnectFrom(string id, PortInfo port)
    {
        _connectFrom = (id, port.Name, port.Type);
        _problem = null;
        _status = $"Connecting from {id} ({port.Name}).";
    }

    private void CancelConnect()
    {
        if (_connectFrom is not null)
        {
            _connectFrom = null;
            _status = "Connection cancelled.";
        }
    }

    private async Task ConnectToAsync(string id, PortInfo port)
    {
        if (_connectFrom is not { } from)
        {
            _status = $"Choose an output port first, then {port.Name} of {id}.";
            return;
        }

        _connectFrom = null;
        if (from.Module == id)
        {
            _problem = "A module cannot be connected to itself.";
            return;
        }

        if (!Compatible(from.Type, port.Type, (string?)Modules().FirstOrDefault(m => (string?)m["id"] == id)?["module"]))
        {
            _problem = $"Not connected: {from.Module}'s output '{from.Port}' gives {from.Type}, and {id}'s input '{port.Name}' takes {port.Type}.";
            return;
        }

        // A port takes one data connection; a Web service input may share it, as in Studio.
        if (!IsWebServiceInput(from.Module)
            && Connections().Any(c => c.To == id && string.Equals(c.ToPort ?? port.Name, port.Name, StringComparison.OrdinalIgnoreCase) && !IsWebServiceInput(c.From)))
        {
            _problem = $"Not connected: {id}'s input '{port.Name}' already has a connection; delete that module's connection first (undo, or delete the module).";
            return;
        }

        await ChangeAsync(() => Array("connections").Add(new JsonObject
        {
            ["from"] = new JsonObject { ["module"] = from.Module, ["port"] = from.Port },
            ["to"] = new JsonObject { ["module"] = id, ["port"] = port.Name },
        }), $"{from.Module} ({from.Port}) connected to {id} ({port.Name}).");
    }

    private bool IsWebServiceInput(string moduleId) =>
        string.Equals((string?)Module(moduleId)?["module"], "Web service input", StringComparison.OrdinalIgnoreCase);

    private async Task DeleteAsync(string id)
    {
        await ChangeAsync(() =>
        {
            var modules = Array("modules");
            foreach (var m in modules.OfType<JsonObject>().Where(m => (string?)m["id"] == id).ToList())
            {
                modules.Remove(m);
            }

            var connections = Array("connections");
            foreach (var c in connections.OfType<JsonObject>().Where(c => End(c["from"]).Module == id || End(c["to"]).Module == id).ToList())
            {
                connections.Remove(c);
            }

            if (_graph["webServiceParameters"] is JsonArray parameters)
            {
                foreach (var p in parameters.OfType<JsonObject>().Where(p => (string?)p["module"] == id).ToList())
                {
                    parameters.Remove(p);
                }
            }

            if (_selected == id)
            {
                _selected = null;
            }
        }, $"{id} deleted.");
    }

    private async Task SetParameterAsync(string id, ParameterInfo parameter, string? text)
    {
        var module = Module(id);
        if (module is null)
        {
            return;
        }

        text = text?.Trim() ?? "";
        JsonNode? value = parameter.Type switch
        {
            "Int" when int.TryParse(text, NumberStyles.Integer, CultureInfo.InvariantCulture, out var i) => i,
            "Double" when double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) => d,
            "Boolean" => text == "True",
            "ColumnSelection" when text.StartsWith('[') => TryParse(text),
            _ => text,
        };
        await ChangeAsync(() =>
        {
            if (module["parameters"] is not JsonObject parameters)
            {
                parameters = [];
                module["parameters"] = parameters;
            }

            foreach (var key in parameters.Select(kv => kv.Key).Where(k => string.Equals(k, parameter.Name, StringComparison.OrdinalIgnoreCase)).ToList())
            {
                parameters.Remove(key);
            }

            if (text.Length > 0)
            {
                parameters[parameter.Name] = value;
            }
        }, $"{id}: {parameter.Name} set.");
    }

    private Task SetCheckedAsync(string id, ParameterInfo parameter, ChangeEventArgs e) =>
        SetParameterAsync(id, parameter, e.Value is true ? "True" : "False");

    private static JsonNode? TryParse(string text)
    {
        try
        {
            return JsonNode.Parse(text);
        }
        catch (System.Text.Json.JsonException)
        {
            return text;
        }
    }

    /// <summary>Applies a change, keeps the state before it for undo, and saves the document.</summary>
    private async Task ChangeAsync(Action change, string done)
    {
        var before = _graph.ToJsonString();
        change();
        _undo.Push(before);
        while (_undo.Count > UndoDepth)
        {
            var kept = _undo.Reverse().Skip(1).ToList();
            _undo.Clear();
            kept.ForEach(_undo.Push);
        }

        _redo.Clear();
        await SaveAsync(done);
    }

    private async Task UndoAsync()
    {
        if (_undo.TryPop(out var previous))
        {
            _redo.Push(_graph.ToJsonString());
            _graph = JsonNode.Parse(previous)!.AsObject();
            await SaveAsync("Undone.");
        }
    }

    private async Task RedoAsync()
    {
        if (_redo.TryPop(out var next))
        {
            _undo.Push(_graph.ToJsonString());
            _graph = JsonNode.Parse(next)!.AsObject();
            await SaveAsync("Redone.");
        }
    }

    private async Task SaveAsync(string done)
    {
        if (_token is null)
        {
            return;
        }

        // One save at a time, in order: each sends the document as it is when its turn comes, so the last one to reach
        // Studio always holds the latest change (two PUTs in flight could land in the other order and store an older one).
        await _saving.WaitAsync(_disposed.Token);
        Tollgate.Portal.Management.ManagementResult saved;
        try
        {
            saved = await Studio.SendWithTokenAsync(HttpMethod.Put, $"studio/experiments/{Uri.EscapeDataString(ExperimentId)}", _graph, _token, _disposed.Token);
        }
        finally
        {
            _saving.Release();
        }

        if (saved.Ok)
        {
            _problems = [];
            _problem = null;
            _moduleErrors = ModuleErrors(saved.Body);
            _status = done + " Saved." + (_moduleErrors.Count > 0 ? $" {_moduleErrors.Count} parameter error(s) to fix before a run." : "");
            return;
        }

        _problems = saved.Error!.Details.Select(d => (d.Target ?? "", d.Message)).ToList();
        var general = saved.Error.Details.Where(d => ParameterTarget(d.Target) is null).Select(d => d.Message).ToList();
        _problem = "Not saved: " + (general.Count > 0 ? string.Join(" ", general) : "fix the value shown next to its field.") + " Your change is kept here.";
        _status = done;
    }

    private static string? ParameterTarget(string? target) =>
        target is not null && target.Contains(".parameters.", StringComparison.Ordinal) ? target : null;

    /// <summary>
    /// Set Up Web Service, as in Studio. With a Train Model in the graph: Studio makes the predictive experiment (the
    /// trained model in place of the training). Without one: a Web service input joins the selected module's first
    /// input (sharing the port with the experiment's data) and a Web service output takes its first output; one undo
    /// step.
    /// </summary>
    private async Task SetUpWebServiceAsync()
    {
        _problem = null;
        if (Modules().Any(m => string.Equals((string?)m["module"], "Train Model", StringComparison.OrdinalIgnoreCase)))
        {
            var made = await Studio.SendWithTokenAsync(HttpMethod.Post, $"studio/experiments/{Uri.EscapeDataString(ExperimentId)}/setUpWebService", null, _token!, _disposed.Token);
            if (made.Ok)
            {
                _predictive = ((string?)made.Body!["id"] ?? "", (string?)made.Body["name"] ?? "");
                _status = "Predictive experiment made.";
            }
            else
            {
                _problem = "Not set up: " + string.Join(" ", new[] { made.Error!.Message }.Concat(made.Error.Details.Select(d => d.Message)).Distinct());
            }

            return;
        }

        var selected = SelectedModule();
        var definition = Definition((string?)selected?["module"]);
        if (selected is null || definition is null || definition.Inputs.Count == 0 || definition.Outputs.Count == 0)
        {
            _problem = "Select the module the web service runs through (one with an input and an output, such as Feature Hashing), then press Set Up Web Service.";
            return;
        }

        var id = (string)selected["id"]!;
        var (x, y) = Position(selected);
        var inputId = NewId("Web service input");
        var outputId = NewId("Web service output");
        await ChangeAsync(() =>
        {
            var modules = Array("modules");
            modules.Add(new JsonObject
            {
                ["id"] = inputId, ["module"] = "Web service input", ["parameters"] = new JsonObject(),
                ["position"] = new JsonObject { ["x"] = Clamp(x + NodeWidth / 2 + 20), ["y"] = Clamp(y - NodeHeight - 40) },
            });
            modules.Add(new JsonObject
            {
                ["id"] = outputId, ["module"] = "Web service output", ["parameters"] = new JsonObject(),
                ["position"] = new JsonObject { ["x"] = Clamp(x), ["y"] = Clamp(y + NodeHeight + 60) },
            });
            var connections = Array("connections");
            connections.Add(new JsonObject
            {
                ["from"] = new JsonObject { ["module"] = inputId, ["port"] = "Dataset" },
                ["to"] = new JsonObject { ["module"] = id, ["port"] = definition.Inputs[0].Name },
            });
            connections.Add(new JsonObject
            {
                ["from"] = new JsonObject { ["module"] = id, ["port"] = definition.Outputs[0].Name },
                ["to"] = new JsonObject { ["module"] = outputId, ["port"] = "Dataset" },
            });
        }, $"Web service input and output placed around {id}.");
    }

    // ---- the column selector ----

    private async Task OpenColumnsAsync(string id, ParameterInfo parameter)
    {
        var module = Module(id);
        if (module is null)
        {
            return;
        }

        var available = await UpstreamColumnsAsync(id);
        var current = ParameterText(module, parameter);
        var chosen = current.StartsWith('[') ? [] : current.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).ToHashSet(StringComparer.Ordinal);
        _columns = new ColumnPicker(id, parameter, available, chosen) { Typed = current.StartsWith('[') ? "" : string.Join(",", chosen.Where(c => available.All(a => a.Name != c))) };
    }

    /// <summary>The columns reaching <paramref name="id"/>'s first data input: a saved dataset's schema, or the last run's output.</summary>
    private async Task<List<ColumnInfo>> UpstreamColumnsAsync(string id)
    {
        var into = Connections().FirstOrDefault(c => c.To == id && !IsWebServiceInput(c.From));
        var upstream = into is null ? null : Module(into.From);
        if (upstream is null)
        {
            return [];
        }

        if (string.Equals((string?)upstream["module"], "Saved dataset", StringComparison.OrdinalIgnoreCase)
            && (string?)upstream["parameters"]?["Dataset"] is { } dataset && _datasetColumns.TryGetValue(dataset, out var columns))
        {
            return columns;
        }

        if (RunId is null || _token is null)
        {
            return [];
        }

        var port = into!.FromPort ?? Definition((string?)upstream["module"])?.Outputs.FirstOrDefault()?.Name ?? "";
        var output = await Studio.SendWithTokenAsync(HttpMethod.Get,
            $"studio/runs/{Uri.EscapeDataString(RunId)}/modules/{Uri.EscapeDataString(into.From)}/outputs/{Uri.EscapeDataString(port)}", null, _token, _disposed.Token);
        return output.Ok ? Columns(output.Body!["columns"]) : [];
    }

    private static List<ColumnInfo> Columns(JsonNode? columns) =>
        (columns as JsonArray ?? []).OfType<JsonObject>().Select(c => new ColumnInfo((string?)c["name"] ?? "", (string?)c["type"] ?? "")).Where(c => c.Name.Length > 0).ToList();

    private async Task ApplyColumnsAsync()
    {
        if (_columns is not { } picker)
        {
            return;
        }

        var names = picker.Available.Where(c => picker.Chosen.Contains(c.Name)).Select(c => c.Name)
            .Concat(picker.Typed.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries)).Distinct(StringComparer.Ordinal).ToList();
        _columns = null;
        var types = picker.Types.Order().ToList();
        string text;
        if (!picker.StartAll && types.Count == 0)
        {
            text = string.Join(",", names);
        }
        else
        {
            // Studio's rules: begin with all (then exclude) or with none (then include), by name and by type.
            var exclude = picker.StartAll ? true : (bool?)null;
            var rules = new JsonArray();
            if (picker.StartAll)
            {
                rules.Add(new JsonObject { ["rule"] = "all" });
            }

            if (names.Count > 0)
            {
                rules.Add(new JsonObject { ["rule"] = "names", ["names"] = new JsonArray(names.Select(n => (JsonNode)n).ToArray()), ["exclude"] = exclude });
            }

            if (types.Count > 0)
            {
                rules.Add(new JsonObject { ["rule"] = "types", ["types"] = new JsonArray(types.Select(t => (JsonNode)t).ToArray()), ["exclude"] = exclude });
            }

            text = rules.ToJsonString();
        }

        await SetParameterAsync(picker.Module, picker.Parameter, text);
    }

    public async ValueTask DisposeAsync()
    {
        await _disposed.CancelAsync();
        _disposed.Dispose();

        // _saving is not disposed: a save cancelled above may still release it (it holds no wait handle).
        if (_js is not null)
        {
            try
            {
                await _js.DisposeAsync();
            }
            catch (JSDisconnectedException)
            {
                // The circuit is gone with the page: nothing to release in the browser.
            }
        }
    }

    private sealed record Dragged(PaletteItem? Item, string? Module);

    /// <summary>The module (and its parameter, named) that puts a saved trained model on the canvas.</summary>
    private const string TrainedModelModule = "Trained model";

    /// <summary>An entry of the palette: the module it adds, with one parameter set (a saved dataset's or trained model's name).</summary>
    private sealed record PaletteItem(string Group, string Label, string Module, string Description, string? Parameter, string? Value);

    private sealed record Connection(string From, string? FromPort, string To, string? ToPort);

    private sealed record ColumnInfo(string Name, string Type);

    private sealed class ColumnPicker(string module, ParameterInfo parameter, List<ColumnInfo> available, HashSet<string> chosen)
    {
        public string Module { get; } = module;

        public ParameterInfo Parameter { get; } = parameter;

        public List<ColumnInfo> Available { get; } = available;

        public HashSet<string> Chosen { get; } = chosen;

        public HashSet<string> Types { get; } = new(StringComparer.Ordinal);

        public bool StartAll { get; set; }

        public string Typed { get; set; } = "";
    }

    private sealed record PortInfo(string Name, string Type);

    private sealed record ParameterInfo(string Name, string Type, JsonNode? Default, double? Min, double? Max, IReadOnlyList<string> Values, string? Description);

    private sealed record ModuleInfo(string Name, string Category, string Description, IReadOnlyList<ParameterInfo> Parameters, IReadOnlyList<PortInfo> Inputs, IReadOnlyList<PortInfo> Outputs)
    {
        public static ModuleInfo From(JsonObject m) => new(
            (string?)m["name"] ?? "",
            (string?)m["category"] ?? "",
            (string?)m["description"] ?? "",
            (m["parameters"] as JsonArray ?? []).OfType<JsonObject>().Select(p => new ParameterInfo(
                (string?)p["name"] ?? "", (string?)p["type"] ?? "String", p["default"]?.DeepClone(), (double?)p["min"], (double?)p["max"],
                (p["values"] as JsonArray ?? []).Select(v => (string?)v ?? "").ToList(), (string?)p["description"])).ToList(),
            Ports(m["inputs"]),
            Ports(m["outputs"]));

        private static List<PortInfo> Ports(JsonNode? ports) =>
            (ports as JsonArray ?? []).OfType<JsonObject>().Select(p => new PortInfo((string?)p["name"] ?? "", (string?)p["type"] ?? "")).ToList();
    }
}
