using System.Globalization;

namespace Tollgate.Core.Policies;

/// <summary>Checks policy documents against the policies Tollgate knows, collecting every problem.</summary>
public static class PolicyValidator
{
    /// <summary>Policies that only work against an Azure service, with what to use instead.</summary>
    private static readonly Dictionary<string, string> AzureOnly = new(StringComparer.Ordinal)
    {
        ["authentication-managed-identity"] = "there is no Azure managed identity here; send the backend's credentials with set-header (a secret named value) or use validate-jwt on the way in.",
        ["get-authorization-context"] = "API Management credential managers are Azure-only; keep the token in a secret named value and send it with set-header.",
        ["log-to-eventhub"] = "there is no Event Hub here; use trace (written to the gateway log) or send-request to your own collector.",
        ["validate-azure-ad-token"] = "use validate-jwt with openid-config pointing at your tenant's metadata (https://login.microsoftonline.com/{tenant}/v2.0/.well-known/openid-configuration).",
        ["emit-metric"] = "there is no Azure Monitor here; the gateway's request records and OpenTelemetry metrics cover calls, or use trace.",
        ["llm-emit-token-metric"] = "there is no Azure Monitor here; use trace.",
        ["azure-openai-emit-token-metric"] = "there is no Azure Monitor here; use trace.",
        ["set-backend-service-fabric"] = "Service Fabric backends are Azure-only; use set-backend-service base-url.",
        ["publish-to-dapr"] = "Dapr integration is not available; use send-request.",
        ["invoke-dapr-binding"] = "Dapr integration is not available; use send-request.",
    };

    /// <summary>Parses and validates <paramref name="xml"/>; returns every structural and policy error (empty when valid).</summary>
    public static IReadOnlyList<PolicyError> Validate(string xml) => Validate(xml, null);

    /// <summary>
    /// Substitutes <paramref name="namedValues"/> (null: none), parses and validates; every error is at the line and
    /// column the author wrote, with secret values hidden. <paramref name="escaped"/>: format <c>xml</c> (see <see cref="PolicyDocument.Parse(string, NamedValues?, bool)"/>).
    /// </summary>
    public static IReadOnlyList<PolicyError> Validate(string xml, NamedValues? namedValues, bool escaped = false) =>
        Load(xml, namedValues, escaped).Errors;

    /// <summary>
    /// Parses and validates in one pass: the document when it has no error at all (structural or policy-level), else
    /// null and every error, as <see cref="Validate(string, NamedValues?, bool)"/> reports them.
    /// </summary>
    public static (PolicyDocument? Document, IReadOnlyList<PolicyError> Errors) Load(string xml, NamedValues? namedValues, bool escaped = false)
    {
        var errors = new List<PolicyError>();
        var doc = PolicyDocument.Load(xml, errors, namedValues, escaped);
        if (doc is not null)
        {
            errors.AddRange(Validate(doc).Select(doc.Report));
        }

        return (errors.Count == 0 ? doc : null, errors);
    }

    /// <summary>Validates an already parsed document; returns every error (empty when valid).</summary>
    public static IReadOnlyList<PolicyError> Validate(PolicyDocument document)
    {
        ArgumentNullException.ThrowIfNull(document);
        var errors = new List<PolicyError>();
        foreach (var section in document.Sections)
        {
            ValidatePolicies(section.Elements, "policies/" + section.Name, section.Name, errors);
        }

        // Once-per-document policies are counted after the sections, along the flows of the document.
        var counts = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var section in document.Sections)
        {
            CountOncePolicies(section.Elements, "policies/" + section.Name, counts, errors);
        }

        return errors;
    }

    /// <summary>
    /// A policy that may be used only once per policy document (rate-limit, quota, jsonp, …) is counted as APIM counts
    /// it, which accepts its own wait example (a rate-limit in each of the wait's two choose children): policies in
    /// sequence add up, while each branch of a <c>choose</c> (mutually exclusive) and each child of a <c>wait</c> (run
    /// side by side, each its own flow) is counted on its own from what came before it, and what follows counts from
    /// the most any of them reached. <paramref name="counts"/> holds what came before on entry and the most reached
    /// on return.
    /// </summary>
    private static void CountOncePolicies(IReadOnlyList<PolicyElement> elements, string parentPath, Dictionary<string, int> counts, List<PolicyError> errors)
    {
        foreach (var (el, path) in WithPaths(elements, parentPath))
        {
            CountOncePolicies(el, path, counts, errors);
        }
    }

    private static void CountOncePolicies(PolicyElement el, string path, Dictionary<string, int> counts, List<PolicyError> errors)
    {
        if (!PolicySchema.Policies.TryGetValue(el.Name, out var spec))
        {
            return;
        }

        if (spec.OncePerDocument)
        {
            counts[el.Name] = counts.GetValueOrDefault(el.Name) + 1;
            if (counts[el.Name] == 2)
            {
                errors.Add(new PolicyError(path, el.Line, el.Column, $"Policy '{el.Name}' may appear only once in a policy document."));
            }
        }

        if (el.Name is not ("choose" or "wait"))
        {
            if (spec.PolicyChildren)
            {
                CountOncePolicies(el.Children, path, counts, errors);
            }

            return;
        }

        // Each way starts from what came before: choose's when and otherwise (their children in sequence), wait's children.
        var most = new Dictionary<string, int>(counts, StringComparer.Ordinal);
        foreach (var (child, childPath) in WithPaths(el.Children, path))
        {
            var along = new Dictionary<string, int>(counts, StringComparer.Ordinal);
            if (el.Name == "wait")
            {
                CountOncePolicies(child, childPath, along, errors);
            }
            else
            {
                CountOncePolicies(child.Children, childPath, along, errors);
            }

            foreach (var (name, count) in along)
            {
                most[name] = Math.Max(most.GetValueOrDefault(name), count);
            }
        }

        foreach (var (name, count) in most)
        {
            counts[name] = count;
        }
    }

    private static void ValidatePolicies(IReadOnlyList<PolicyElement> elements, string parentPath, string section, List<PolicyError> errors)
    {
        foreach (var (el, path) in WithPaths(elements, parentPath))
        {
            if (!PolicySchema.Policies.TryGetValue(el.Name, out var spec))
            {
                errors.Add(new PolicyError(path, el.Line, el.Column, AzureOnlyMessage($"Policy '{el.Name}'", el.Name) ?? $"Element '{el.Name}' is not a known policy."));
                continue;
            }

            if (spec.Sections is not null && !spec.Sections.Contains(section))
            {
                errors.Add(new PolicyError(path, el.Line, el.Column, $"Policy '{el.Name}' is not allowed in section '{section}'."));
            }

            ValidateElement(el, spec, path, section, errors);
        }
    }

    private static void ValidateElement(PolicyElement el, PolicyElementSpec spec, string path, string section, List<PolicyError> errors)
    {
        foreach (var attr in el.Attributes)
        {
            var attrPath = path + "/@" + attr.Name;
            var attrSpec = spec.FindAttribute(attr.Name);
            if (attrSpec is null)
            {
                errors.Add(new PolicyError(attrPath, attr.Line, attr.Column, $"Attribute '{attr.Name}' is not allowed on '{el.Name}'."));
                continue;
            }

            var message = CheckValue(attr, attrSpec, el.Name);
            if (message is not null)
            {
                errors.Add(new PolicyError(attrPath, attr.Line, attr.Column, message));
            }
        }

        foreach (var required in spec.Attributes.Where(a => a.Required))
        {
            if (el.GetAttribute(required.Name) is null)
            {
                errors.Add(new PolicyError(path, el.Line, el.Column, $"Attribute '{required.Name}' of '{el.Name}' is required."));
            }
        }

        if (el.Text is not null && !spec.AllowsText)
        {
            errors.Add(new PolicyError(path, el.Line, el.Column, $"Text is not allowed in '{el.Name}'."));
        }

        spec.Extra?.Invoke(el, path, (p, m) => errors.Add(new PolicyError(p, el.Line, el.Column, m)));

        if (spec.PolicyChildren)
        {
            ValidatePolicies(el.Children, path, section, errors);
            return;
        }

        foreach (var (child, childPath) in WithPaths(el.Children, path))
        {
            var childSpec = spec.FindChild(child.Name);
            if (childSpec is null)
            {
                errors.Add(new PolicyError(childPath, child.Line, child.Column,
                    AzureOnlyMessage($"Element '{child.Name}' of '{el.Name}'", child.Name) ?? $"Element '{child.Name}' is not allowed in '{el.Name}'."));
                continue;
            }

            ValidateElement(child, childSpec, childPath, section, errors);
        }
    }

    /// <summary>Why a policy that needs an Azure service is refused (<paramref name="what"/> names it where it stands); null for any other name.</summary>
    private static string? AzureOnlyMessage(string what, string name) =>
        AzureOnly.TryGetValue(name, out var why) ? $"{what} needs an Azure service and is not available in Tollgate: {why}" : null;

    private static string? CheckValue(PolicyAttribute attr, PolicyAttributeSpec spec, string element)
    {
        var prefix = $"Attribute '{attr.Name}' of '{element}'";
        if (attr.IsExpression)
        {
            return spec.AllowsExpressions ? null : $"{prefix} does not accept expressions.";
        }

        var v = attr.Value.Trim();
        switch (spec.Kind)
        {
            case PolicyValueKind.NonNegativeInteger:
                if (!long.TryParse(v, NumberStyles.None, CultureInfo.InvariantCulture, out var n))
                {
                    return $"{prefix} must be a non-negative integer, not '{attr.Value}'.";
                }

                if (spec.Min is { } min && n < min)
                {
                    return $"{prefix} must be at least {min}, not '{attr.Value}'.";
                }

                if (spec.Max is { } max && n > max)
                {
                    return $"{prefix} must be at most {max}, not '{attr.Value}'.";
                }

                return null;
            case PolicyValueKind.Boolean:
                return v is "true" or "false" or "True" or "False" ? null : $"{prefix} must be 'true' or 'false', not '{attr.Value}'.";
            case PolicyValueKind.DateTime:
                return DateTimeOffset.TryParse(v, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out _) && v.Contains('T', StringComparison.Ordinal)
                    ? null
                    : $"{prefix} must be an ISO 8601 date and time, not '{attr.Value}'.";
            case PolicyValueKind.Enumeration:
                var values = spec.Values ?? [];
                return values.Contains(v)
                    ? null
                    : $"{prefix} must be one of {string.Join(", ", values.Select(x => $"'{x}'"))}, not '{attr.Value}'.";
            default:
                return null;
        }
    }

    private static IEnumerable<(PolicyElement Element, string Path)> WithPaths(IReadOnlyList<PolicyElement> elements, string parentPath)
    {
        var seen = new Dictionary<string, int>(StringComparer.Ordinal);
        foreach (var el in elements)
        {
            var index = seen.GetValueOrDefault(el.Name) + 1;
            seen[el.Name] = index;
            yield return (el, $"{parentPath}/{el.Name}[{index}]");
        }
    }
}
