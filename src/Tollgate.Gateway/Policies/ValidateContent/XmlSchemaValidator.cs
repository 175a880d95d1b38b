using System.Globalization;
using System.Runtime.CompilerServices;
using System.Xml;
using System.Xml.Schema;

namespace Tollgate.Gateway.Policies.ValidateContent;

/// <summary>
/// An XML schema (XSD) of validate-content, compiled once per snapshot object (a global schema, or an operation's
/// representation), and the bodies checked against it. Schema and body are read with the same safe settings: no DTD,
/// nothing resolved (an <c>xs:include</c> or <c>xs:import</c> of another location is not followed), sizes bounded.
/// </summary>
internal sealed class XmlSchemaValidator
{
    /// <summary>APIM's limit for a schema used by the validation policies: 4 MB.</summary>
    internal const int MaxSchemaCharacters = 4 * 1024 * 1024;

    private const string SoapEnvelope11 = "http://schemas.xmlsoap.org/soap/envelope/";
    private const string SoapEnvelope12 = "http://www.w3.org/2003/05/soap-envelope";

    private static readonly ConditionalWeakTable<object, XmlSchemaValidator> Compiled = [];

    private readonly XmlSchemaSet? _schemas;

    private XmlSchemaValidator(XmlSchemaSet? schemas, string? problem)
    {
        _schemas = schemas;
        Problem = problem;
    }

    /// <summary>Why the schema could not be compiled; null when it was.</summary>
    public string? Problem { get; }

    /// <summary>The schema <paramref name="xsd"/> of <paramref name="owner"/>, compiled the first time it is asked for.</summary>
    public static XmlSchemaValidator For(object owner, string xsd) => Compiled.GetValue(owner, _ => Compile(xsd));

    /// <summary>Reader settings that never process a DTD nor resolve anything, for at most <paramref name="maxCharacters"/> characters.</summary>
    internal static XmlReaderSettings SafeSettings(long maxCharacters) => new()
    {
        DtdProcessing = DtdProcessing.Prohibit,
        XmlResolver = null,
        MaxCharactersInDocument = maxCharacters,
        MaxCharactersFromEntities = 1024,
        IgnoreComments = true,
        IgnoreProcessingInstructions = true,
    };

    internal static XmlSchemaValidator Compile(string xsd)
    {
        try
        {
            var set = new XmlSchemaSet { XmlResolver = null };
            string? error = null;
            set.ValidationEventHandler += (_, e) =>
            {
                if (e.Severity == XmlSeverityType.Error)
                {
                    error ??= Located(e.Exception.Message, e.Exception.LineNumber, e.Exception.LinePosition);
                }
            };
            using (var reader = XmlReader.Create(new StringReader(xsd), SafeSettings(MaxSchemaCharacters)))
            {
                set.Add(null, reader);
            }

            set.Compile();
            return error is null ? new XmlSchemaValidator(set, null) : new XmlSchemaValidator(null, error);
        }
        catch (Exception e) when (e is XmlException or XmlSchemaException or ArgumentException)
        {
            return new XmlSchemaValidator(null, e.Message);
        }
    }

    /// <summary>
    /// The first way <paramref name="body"/> (well-formed) does not conform, as <c>message Line: n, Position: m</c>;
    /// null when it conforms. The root element must be one the schema declares. For SOAP the elements inside the
    /// envelope's Body are checked, each as a root.
    /// </summary>
    public string? Validate(byte[] body, bool soap)
    {
        if (_schemas is null)
        {
            return Problem;
        }

        try
        {
            using var reader = XmlReader.Create(new MemoryStream(body, writable: false), SafeSettings(body.Length + 1L));
            if (!soap)
            {
                return ValidateRoot(reader);
            }

            var inBody = false;
            while (reader.Read())
            {
                if (reader.NodeType != XmlNodeType.Element)
                {
                    continue;
                }

                if (reader.Depth == 1)
                {
                    inBody = reader.LocalName == "Body" && reader.NamespaceURI is SoapEnvelope11 or SoapEnvelope12;
                }
                else if (reader.Depth == 2 && inBody)
                {
                    using var payload = reader.ReadSubtree();
                    if (ValidateRoot(payload) is { } problem)
                    {
                        return problem;
                    }
                }
            }

            return null;
        }
        catch (XmlException e)
        {
            return Located(e.Message, e.LineNumber, e.LinePosition);
        }
    }

    private string? ValidateRoot(XmlReader source)
    {
        var settings = SafeSettings(0);
        settings.ValidationType = ValidationType.Schema;
        settings.Schemas = _schemas!;
        XmlSchemaException? first = null;
        settings.ValidationEventHandler += (_, e) =>
        {
            if (e.Severity == XmlSeverityType.Error)
            {
                first ??= e.Exception;
            }
        };

        using var reader = XmlReader.Create(source, settings);
        var root = true;
        while (first is null && reader.Read())
        {
            // Validation is lax where the schema says nothing: a root it does not declare would pass unchecked.
            if (root && reader.NodeType == XmlNodeType.Element)
            {
                root = false;
                if (reader.SchemaInfo?.SchemaElement is null)
                {
                    var at = reader as IXmlLineInfo;
                    return Located($"The '{reader.Name}' element is not declared.", at?.LineNumber ?? 0, at?.LinePosition ?? 0);
                }
            }
        }

        return first is null ? null : Located(first.Message, first.LineNumber, first.LinePosition);
    }

    private static string Located(string message, int line, int position) =>
        $"{message} Line: {line.ToString(CultureInfo.InvariantCulture)}, Position: {position.ToString(CultureInfo.InvariantCulture)}";
}
