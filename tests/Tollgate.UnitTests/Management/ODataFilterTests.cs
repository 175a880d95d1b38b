using System.Text.Json.Nodes;
using Tollgate.Management.Api;
using Tollgate.Management.Services;

namespace Tollgate.UnitTests.Management;

public sealed class ODataFilterTests
{
    private static readonly string[] Fields = ["name", "displayName", "path", "subscriptionRequired", "subscriptionsLimit"];

    private static bool Matches(string filter, string name = "echo", string displayName = "Echo API", bool required = true, int limit = 3)
    {
        var props = new JsonObject { ["displayName"] = displayName, ["path"] = "ml/echo", ["subscriptionRequired"] = required, ["subscriptionsLimit"] = limit };
        return ODataFilter.Parse(filter, Fields).Matches(f => f == "name" ? JsonValue.Create(name) : props[f]);
    }

    [Theory]
    [InlineData("name eq 'echo'", true)]
    [InlineData("name eq 'ECHO'", true)]
    [InlineData("name ne 'echo'", false)]
    [InlineData("properties/displayName eq 'Echo API'", true)]
    [InlineData("contains(displayName,'api')", true)]
    [InlineData("startswith(path,'ml/')", true)]
    [InlineData("endswith(path,'x')", false)]
    [InlineData("subscriptionsLimit ge 3 and subscriptionsLimit lt 4", true)]
    [InlineData("subscriptionRequired eq true", true)]
    [InlineData("not (name eq 'echo') or startswith(name,'e')", true)]
    [InlineData("name eq 'it''s'", false)]
    public void Evaluates(string filter, bool expected) => Assert.Equal(expected, Matches(filter));

    [Theory]
    [InlineData("colour eq 'red'", "'colour' is not a field")]
    [InlineData("name eq 'x", "unterminated string")]
    [InlineData("name like 'x'", "unknown operator 'like'")]
    [InlineData("name eq 'x' junk", "unexpected text")]
    [InlineData("length(name) eq 3", "unknown function 'length'")]
    public void BadFilters_AreValidationErrorsNamingFilter(string filter, string expected)
    {
        var ex = Assert.Throws<ArmException>(() => ODataFilter.Parse(filter, Fields));

        Assert.Equal(400, ex.StatusCode);
        Assert.Equal("$filter", ex.Details![0].Target);
        Assert.Contains(expected, ex.Details[0].Message);
    }
}
