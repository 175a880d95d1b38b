using Tollgate.Studio.Data;
using Tollgate.Studio.Modules;
using Tollgate.Studio.Modules.FeatureHashing;

namespace Tollgate.UnitTests.Studio.Modules;

public class ModuleRegistryTests
{
    private readonly ModuleRegistry _registry = ModuleRegistry.CreateBuiltIn();

    [Theory]
    [InlineData("Saved dataset", "Saved Datasets")]
    [InlineData("Select Columns in Dataset", "Data Transformation / Manipulation")]
    [InlineData("Feature Hashing", "Text Analytics")]
    [InlineData("Web service input", "Web Service")]
    [InlineData("Web service output", "Web Service")]
    public void BuiltIns_AreFoundByName(string name, string category)
    {
        var module = _registry.Get(name);
        Assert.Equal(name, module.Name);
        Assert.Equal(category, module.Category);
        Assert.True(_registry.TryGet(name.ToUpperInvariant(), out var again));
        Assert.Same(module, again);
    }

    [Fact]
    public void UnknownModule_IsNotFound()
    {
        Assert.False(_registry.TryGet("Two-Class Neural Network", out _));
        Assert.Throws<KeyNotFoundException>(() => _registry.Get("Two-Class Neural Network"));
    }

    [Fact]
    public void Register_RejectsDuplicateName()
    {
        Assert.Throws<ArgumentException>(() => _registry.Register(BuiltInModules.FeatureHashing));
    }

    [Fact]
    public void FeatureHashing_DefinitionMatchesSpec()
    {
        var module = _registry.Get("Feature Hashing");
        Assert.Equal(["Dataset"], module.Inputs.Select(p => p.Name));
        Assert.Equal(["Transformed dataset"], module.Outputs.Select(p => p.Name));
        Assert.Equal(["Target columns", "Hashing bitsize", "N-grams"], module.Parameters.Select(p => p.Name));

        var bits = module.FindParameter("Hashing bitsize")!;
        Assert.Equal((ModuleParameterType.Int, (object?)10, (int?)1, (int?)31), (bits.Type, bits.Default, bits.Min, bits.Max));
        var ngrams = module.FindParameter("N-grams")!;
        Assert.Equal((ModuleParameterType.Int, (object?)2, (int?)0, (int?)10), (ngrams.Type, ngrams.Default, ngrams.Min, ngrams.Max));
        Assert.Equal(ModuleParameterType.ColumnSelection, module.FindParameter("Target columns")!.Type);
    }

    [Fact]
    public void Ports_OfWebServiceModules()
    {
        Assert.Empty(_registry.Get("Web service input").Inputs);
        Assert.Single(_registry.Get("Web service input").Outputs);
        Assert.Single(_registry.Get("Web service output").Inputs);
        Assert.Empty(_registry.Get("Web service output").Outputs);
        Assert.Equal(["Results dataset"], _registry.Get("Select Columns in Dataset").Outputs.Select(p => p.Name));
    }

    [Fact]
    public void Bind_FillsDefaults()
    {
        var values = BuiltInModules.FeatureHashing.Bind(null);
        Assert.Equal(10, values.GetInt32("Hashing bitsize"));
        Assert.Equal(2, values.GetInt32("N-grams"));
        var schema = ModuleTestData.Schema(("A", ColumnType.Int32), ("B", ColumnType.String));
        Assert.Equal([1], values.GetColumnSelection("Target columns").Resolve(schema));
    }

    [Fact]
    public void Bind_AcceptsTextValues()
    {
        var values = BuiltInModules.FeatureHashing.Bind(new Dictionary<string, object?>
        {
            ["hashing bitsize"] = "3",
            ["N-grams"] = 1,
            ["Target columns"] = "Col2, Col3",
        });
        Assert.Equal(3, values.GetInt32("Hashing bitsize"));
        Assert.Equal(1, values.GetInt32("N-grams"));
        Assert.Equal(["Col2", "Col3"], values.GetColumnSelection("Target columns").Rules.Single().Names);
    }

    [Theory]
    [InlineData("Hashing bitsize", 0, "Error 0004: Parameter \"Hashing bitsize\" should be greater than 0.")]
    [InlineData("Hashing bitsize", 32, "Error 0007: Parameter \"Hashing bitsize\" should be less than or equal to 31.")]
    [InlineData("N-grams", -1, "Error 0005: Parameter \"N-grams\" should be greater than or equal to 0.")]
    [InlineData("N-grams", 11, "Error 0007: Parameter \"N-grams\" should be less than or equal to 10.")]
    public void OutOfRange_GivesStudioErrorNamingParameter(string name, int value, string expected)
    {
        var errors = BuiltInModules.FeatureHashing.Validate(new Dictionary<string, object?> { [name] = value });
        var error = Assert.Single(errors);
        Assert.Equal(expected, error.FullMessage);
        Assert.Equal(name, error.ParameterName);

        // Same text as the FeatureHasher's own validation.
        var hasherError = Assert.Throws<StudioParameterOutOfRangeException>(() => FeatureHasher.ValidateParameters(
            name == "N-grams" ? 10 : value, name == "N-grams" ? value : 2));
        Assert.Equal(expected, hasherError.FullMessage);

        var thrown = Assert.Throws<StudioModuleException>(() => BuiltInModules.FeatureHashing.Bind(new Dictionary<string, object?> { [name] = value }));
        Assert.Equal(expected, thrown.FullMessage);
    }

    [Fact]
    public void MissingRequiredParameter_GivesError0003()
    {
        var errors = BuiltInModules.SelectColumns.Validate(new Dictionary<string, object?>());
        Assert.Equal("Error 0003: Parameter \"Select columns\" is null or empty.", Assert.Single(errors).FullMessage);

        errors = BuiltInModules.SelectColumns.Validate(new Dictionary<string, object?> { ["Select columns"] = " " });
        Assert.Equal("0003", Assert.Single(errors).Code);

        errors = BuiltInModules.SavedDataset.Validate(new Dictionary<string, object?> { ["Dataset"] = "" });
        Assert.Equal("Error 0003: Parameter \"Dataset\" is null or empty.", Assert.Single(errors).FullMessage);
    }

    [Fact]
    public void UnparsableAndUnknownParameters_AreReported()
    {
        var errors = BuiltInModules.FeatureHashing.Validate(new Dictionary<string, object?>
        {
            ["Hashing bitsize"] = "ten",
            ["Bogus"] = 1,
        });
        Assert.Equal(2, errors.Count);
        Assert.Equal("0002", errors[0].Code);
        Assert.Contains("\"Hashing bitsize\"", errors[0].Message, StringComparison.Ordinal);
        Assert.Contains("\"Bogus\"", errors[1].Message, StringComparison.Ordinal);
    }

    [Fact]
    public void EnumParameter_IsValidated()
    {
        var module = new ModuleDefinition("Test", "Test", "",
            [new ModuleParameter("Mode", ModuleParameterType.Enum, "Fast", EnumValues: ["Fast", "Slow"])], [], []);
        Assert.Equal("Slow", module.Bind(new Dictionary<string, object?> { ["Mode"] = "slow" }).GetString("Mode"));
        Assert.Equal("Fast", module.Bind(null).GetString("Mode"));
        var error = Assert.Single(module.Validate(new Dictionary<string, object?> { ["Mode"] = "Medium" }));
        Assert.Equal("0002", error.Code);
        Assert.Contains("Fast, Slow", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void InvalidDefault_IsRejectedAtDefinition()
    {
        Assert.Throws<ArgumentException>(() => new ModuleDefinition("Bad", "Test", "",
            [new ModuleParameter("N", ModuleParameterType.Int, 50, Min: 0, Max: 10)], [], []));
    }

    [Fact]
    public void DoubleAndBooleanParameters_AcceptTextAndCheckBounds()
    {
        var module = new ModuleDefinition("Test", "Test", "",
        [
            new ModuleParameter("Fraction", ModuleParameterType.Double, 0.5, 0, 1),
            new ModuleParameter("Rate", ModuleParameterType.Double, 0.1, 0, MinExclusive: true),
            new ModuleParameter("Flag", ModuleParameterType.Boolean, true),
        ], [], []);
        var bound = module.Bind(new Dictionary<string, object?> { ["Fraction"] = "0.25", ["Rate"] = 2L, ["Flag"] = "false" });
        Assert.Equal(0.25, bound.GetDouble("Fraction"));
        Assert.Equal(2.0, bound.GetDouble("Rate"));
        Assert.False(bound.GetBoolean("Flag"));
        Assert.True(module.Bind(null).GetBoolean("Flag"));

        Assert.Equal("Error 0007: Parameter \"Fraction\" should be less than or equal to 1.", Assert.Single(module.Validate(new Dictionary<string, object?> { ["Fraction"] = 1.5 })).FullMessage);
        Assert.Equal("Error 0005: Parameter \"Fraction\" should be greater than or equal to 0.", Assert.Single(module.Validate(new Dictionary<string, object?> { ["Fraction"] = -0.1 })).FullMessage);
        Assert.Equal("Error 0004: Parameter \"Rate\" should be greater than 0.", Assert.Single(module.Validate(new Dictionary<string, object?> { ["Rate"] = 0.0 })).FullMessage);
        Assert.Equal("0002", Assert.Single(module.Validate(new Dictionary<string, object?> { ["Rate"] = "NaN" })).Code);
        Assert.Equal("0002", Assert.Single(module.Validate(new Dictionary<string, object?> { ["Flag"] = "maybe" })).Code);
    }
}
