using Microsoft.CodeAnalysis;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// The .NET types and members policy expressions may use: APIM's documented list ("API Management policy expressions",
/// .NET Framework types allowed), plus the few types the C# language itself needs for that code to compile (object,
/// nullable, tuples, the interfaces foreach and LINQ hand back), plus Tollgate's <c>context</c> types, plus what APIM's
/// own published snippets use beyond its list: <c>XmlReader</c> over text ("Extract value from XML") and
/// <c>XmlDocument</c> with <c>LoadXml</c> and <c>SelectSingleNode</c> ("Return a blob URL signed with a user delegation
/// SAS token"), with the members that read such a document (none that build or edit one).
/// </summary>
/// <remarks>
/// Anything else (System.IO files, Process, reflection and <c>System.Type</c>, Activator, Environment, threads and tasks,
/// GC, AppDomain, Marshal, <c>dynamic</c>, pointers, delegates held in variables...) is refused when the expression is
/// compiled. Tollgate is stricter than APIM's list on members that reach files, URLs or types by name although their
/// type is allowed whole: any member with a parameter naming a file or URL to open (<c>fileName</c>, <c>...FilePath</c>,
/// <c>uri</c>, <c>url</c>: XDocument/XElement <c>Load</c> and <c>Save(string)</c>, certificates read from files,
/// <c>X509Certificate2.GetCertContentType(string)</c>) and <c>X509Certificate2.Verify</c> (it downloads certificates and
/// CRLs). Some allowed members run as Tollgate's safer equivalents (see <see cref="IsRewritten"/>): the cryptography
/// <c>Create(string)</c> factories (the framework's instantiate any type by name), <c>XDocument.Parse</c> and
/// <c>XElement.Parse</c> (no DTD, bounded nesting), <c>new StringWriter()</c> (bounded) and <c>new XmlDocument()</c>
/// (safe loading, checked and budgeted XPath).
/// </remarks>
internal static class ExpressionAllowList
{
    // "Type: members" (no members = all). Generic types carry their arity as in metadata (List`1). APIM's list first,
    // then what C# needs for that code to compile (object, nullable, tuples, the interfaces foreach and LINQ hand back),
    // then the value types and enums that members on APIM's list take or give (DateTime.DayOfWeek is a DayOfWeek,
    // XDocument.Parse takes LoadOptions, SymmetricAlgorithm.CreateEncryptor gives an ICryptoTransform), so those members
    // can be used.
    private const string Table = """
        Newtonsoft.Json.Formatting
        Newtonsoft.Json.JsonConvert: SerializeObject DeserializeObject
        Newtonsoft.Json.Linq.Extensions
        Newtonsoft.Json.Linq.JArray
        Newtonsoft.Json.Linq.JConstructor
        Newtonsoft.Json.Linq.JContainer
        Newtonsoft.Json.Linq.JObject
        Newtonsoft.Json.Linq.JProperty
        Newtonsoft.Json.Linq.JRaw
        Newtonsoft.Json.Linq.JToken
        Newtonsoft.Json.Linq.JTokenType
        Newtonsoft.Json.Linq.JValue
        System.Array
        System.BitConverter
        System.Boolean
        System.Byte
        System.Char
        System.Collections.Generic.Dictionary`2
        System.Collections.Generic.HashSet`1
        System.Collections.Generic.ICollection`1
        System.Collections.Generic.IDictionary`2
        System.Collections.Generic.IEnumerable`1
        System.Collections.Generic.IEnumerator`1
        System.Collections.Generic.IList`1
        System.Collections.Generic.IReadOnlyCollection`1
        System.Collections.Generic.IReadOnlyDictionary`2
        System.Collections.Generic.ISet`1
        System.Collections.Generic.KeyValuePair`2
        System.Collections.Generic.List`1
        System.Collections.Generic.Queue`1
        System.Collections.Generic.Stack`1
        System.Convert
        System.DateTime: .ctor Add AddDays AddHours AddMilliseconds AddMinutes AddMonths AddSeconds AddTicks AddYears Date Day DayOfWeek DayOfYear DaysInMonth Hour IsDaylightSavingTime IsLeapYear MaxValue Millisecond Minute MinValue Month Now Parse Second Subtract Ticks TimeOfDay Today ToString UtcNow Year
        System.DateTimeKind: Utc
        System.DateTimeOffset
        System.Decimal
        System.Double
        System.Enum: Parse TryParse ToString
        System.Exception
        System.Guid
        System.Int16
        System.Int32
        System.Int64
        System.IO.StringReader
        System.IO.StringWriter
        System.Linq.Enumerable
        System.Math
        System.MidpointRounding
        System.Net.IPAddress: AddressFamily Equals GetAddressBytes IsLoopback Parse TryParse ToString
        System.Net.WebUtility
        System.Nullable
        System.Random
        System.SByte
        System.Security.Cryptography.AsymmetricAlgorithm
        System.Security.Cryptography.CipherMode
        System.Security.Cryptography.HashAlgorithm
        System.Security.Cryptography.HashAlgorithmName
        System.Security.Cryptography.HMAC
        System.Security.Cryptography.HMACMD5
        System.Security.Cryptography.HMACSHA1
        System.Security.Cryptography.HMACSHA256
        System.Security.Cryptography.HMACSHA384
        System.Security.Cryptography.HMACSHA512
        System.Security.Cryptography.KeyedHashAlgorithm
        System.Security.Cryptography.MD5
        System.Security.Cryptography.Oid
        System.Security.Cryptography.PaddingMode
        System.Security.Cryptography.RNGCryptoServiceProvider
        System.Security.Cryptography.RSA
        System.Security.Cryptography.RSAEncryptionPadding
        System.Security.Cryptography.RSASignaturePadding
        System.Security.Cryptography.SHA1
        System.Security.Cryptography.SHA1Managed
        System.Security.Cryptography.SHA256
        System.Security.Cryptography.SHA256Managed
        System.Security.Cryptography.SHA384
        System.Security.Cryptography.SHA384Managed
        System.Security.Cryptography.SHA512
        System.Security.Cryptography.SHA512Managed
        System.Security.Cryptography.SymmetricAlgorithm
        System.Security.Cryptography.X509Certificates.PublicKey
        System.Security.Cryptography.X509Certificates.RSACertificateExtensions
        System.Security.Cryptography.X509Certificates.X500DistinguishedName: Name
        System.Security.Cryptography.X509Certificates.X509Certificate
        System.Security.Cryptography.X509Certificates.X509Certificate2
        System.Security.Cryptography.X509Certificates.X509ContentType
        System.Security.Cryptography.X509Certificates.X509NameType
        System.Single
        System.String
        System.StringComparer
        System.StringComparison
        System.StringSplitOptions
        System.Text.Encoding
        System.Text.RegularExpressions.Capture: Index Length Value
        System.Text.RegularExpressions.CaptureCollection: Count Item
        System.Text.RegularExpressions.Group: Captures Success
        System.Text.RegularExpressions.GroupCollection: Count Item
        System.Text.RegularExpressions.Match: Empty Groups Result
        System.Text.RegularExpressions.Regex: .ctor IsMatch Match Matches Replace Unescape Split
        System.Text.RegularExpressions.RegexOptions
        System.Text.StringBuilder
        System.TimeSpan
        System.TimeZone
        System.TimeZoneInfo
        System.Tuple
        System.UInt16
        System.UInt32
        System.UInt64
        System.Uri
        System.UriPartial
        System.Xml.Linq.Extensions
        System.Xml.Linq.XAttribute
        System.Xml.Linq.XCData
        System.Xml.Linq.XComment
        System.Xml.Linq.XContainer
        System.Xml.Linq.XDeclaration
        System.Xml.Linq.XDocument
        System.Xml.Linq.XDocumentType
        System.Xml.Linq.XElement
        System.Xml.Linq.XName
        System.Xml.Linq.XNamespace
        System.Xml.Linq.XNode
        System.Xml.Linq.XNodeDocumentOrderComparer
        System.Xml.Linq.XNodeEqualityComparer
        System.Xml.Linq.XObject
        System.Xml.Linq.XProcessingInstruction
        System.Xml.Linq.XText
        System.Xml.XmlNodeType
        System.Xml.XmlReader
        System.Xml.ReadState
        System.Xml.XmlDocument: .ctor LoadXml Load DocumentElement
        System.Xml.XmlNode: Attributes ChildNodes FirstChild LastChild NextSibling PreviousSibling ParentNode OwnerDocument HasChildNodes Item InnerText InnerXml OuterXml LocalName Name NamespaceURI Prefix NodeType Value SelectNodes SelectSingleNode GetEnumerator GetNamespaceOfPrefix GetPrefixOfNamespace
        System.Xml.XmlElement: GetAttribute HasAttribute HasAttributes IsEmpty
        System.Xml.XmlAttribute: OwnerElement Specified
        System.Xml.XmlNodeList: Count Item GetEnumerator
        System.Xml.XmlNamedNodeMap: Count Item GetNamedItem GetEnumerator
        System.Xml.XmlAttributeCollection: Item
        System.Object: .ctor ToString Equals GetHashCode ReferenceEquals
        System.ValueType: ToString Equals GetHashCode
        System.Void
        System.Nullable`1
        System.IDisposable
        System.Collections.IEnumerable
        System.Collections.IEnumerator
        System.Collections.Generic.IReadOnlyList`1
        System.Collections.Generic.IEqualityComparer`1
        System.Collections.Generic.IComparer`1
        System.Linq.IOrderedEnumerable`1
        System.Linq.IGrouping`2
        System.Linq.ILookup`2
        System.Text.RegularExpressions.MatchCollection: Count Item
        System.Net.Sockets.AddressFamily
        Newtonsoft.Json.Linq.JEnumerable`1
        Newtonsoft.Json.Linq.IJEnumerable`1
        System.Tuple`1
        System.Tuple`2
        System.Tuple`3
        System.Tuple`4
        System.Tuple`5
        System.Tuple`6
        System.Tuple`7
        System.Tuple`8
        System.DayOfWeek
        System.UriKind
        System.UriComponents
        System.UriFormat
        System.UriHostNameType
        System.Base64FormattingOptions
        System.Globalization.NumberStyles
        System.Globalization.DateTimeStyles
        System.Globalization.TimeSpanStyles
        System.Globalization.UnicodeCategory
        System.Security.Cryptography.ICryptoTransform
        System.Security.Cryptography.KeySizes
        System.Security.Cryptography.RSAEncryptionPaddingMode
        System.Security.Cryptography.RSASignaturePaddingMode
        System.Xml.Linq.LoadOptions
        System.Xml.Linq.SaveOptions
        System.ValueTuple
        System.ValueTuple`1
        System.ValueTuple`2
        System.ValueTuple`3
        System.ValueTuple`4
        System.ValueTuple`5
        System.ValueTuple`6
        System.ValueTuple`7
        System.ValueTuple`8
        """;

    /// <summary>Tollgate's types for <c>context</c>, usable whole.</summary>
    private static readonly Type[] ContextTypes =
    [
        typeof(IProxyContext), typeof(IApi), typeof(ISubscriptionKeyParameterNames), typeof(IDeployment), typeof(ILastError),
        typeof(IOperation), typeof(ProductState), typeof(IProduct), typeof(IGroup), typeof(IRequest), typeof(IPrivateEndpointConnection),
        typeof(IResponse), typeof(ISubscription), typeof(IUser), typeof(IUserIdentity), typeof(IUrl), typeof(IMessageBody),
        typeof(Jwt), typeof(BasicAuthCredentials), typeof(PolicyExpressionExtensions), typeof(Apim.MatchedParameterExtensions), typeof(IBackend), typeof(BackendType),
        typeof(IWorkspace), typeof(IGateway), typeof(ISustainabilityInfo), typeof(CarbonIntensityCategory),
    ];

    /// <summary>Type name → allowed member names, null meaning every member.</summary>
    private static readonly Dictionary<string, HashSet<string>?> Types = Load();

    private static readonly HashSet<string> ObjectMembers = ["ToString", "Equals", "GetHashCode"];

    /// <summary>True when values of, and static access to, <paramref name="type"/> (a definition, not constructed) are allowed.</summary>
    public static bool IsTypeAllowed(INamedTypeSymbol type)
    {
        if (type.IsAnonymousType)
        {
            return true;
        }

        if (Types.ContainsKey(FullName(type)))
        {
            return true;
        }

        // Nested types of a type allowed whole (Dictionary`2+KeyCollection, List`1+Enumerator, TimeZoneInfo+AdjustmentRule).
        return type.ContainingType is { } outer && Types.TryGetValue(FullName(outer.OriginalDefinition), out var members) && members is null;
    }

    /// <summary>True when <paramref name="member"/> (a method, property, field or event of a named type) may be used.</summary>
    public static bool IsMemberAllowed(ISymbol member)
    {
        var type = member.ContainingType?.OriginalDefinition;
        if (type is null)
        {
            return false;
        }

        if (type.IsAnonymousType)
        {
            return true;
        }

        if (!IsTypeAllowed(type) || IsRefused(type, member))
        {
            return false;
        }

        if (member is IMethodSymbol { MethodKind: MethodKind.UserDefinedOperator or MethodKind.Conversion or MethodKind.BuiltinOperator })
        {
            return true;
        }

        var name = member switch
        {
            IPropertySymbol { IsIndexer: true } => "Item",
            IMethodSymbol { MethodKind: MethodKind.Constructor } => ".ctor",
            _ => member.Name,
        };
        if (!Types.TryGetValue(FullName(type), out var members) || members is null)
        {
            return true;
        }

        return members.Contains(name) || (ObjectMembers.Contains(name) && type.SpecialType != SpecialType.System_Object && member.IsOverride)
            || (Overridden(member) is { } overridden && IsMemberAllowed(overridden));
    }

    /// <summary>
    /// The member an override overrides (C# binds <c>element.LocalName</c> to <c>XmlElement.LocalName</c>, the override of
    /// <c>XmlNode.LocalName</c>): an override of an allowed member is allowed when its own type is; else null.
    /// </summary>
    private static ISymbol? Overridden(ISymbol member) => member switch
    {
        IMethodSymbol { IsOverride: true, OverriddenMethod: { } method } => method.OriginalDefinition,
        IPropertySymbol { IsOverride: true, OverriddenProperty: { } property } => property.OriginalDefinition,
        _ => null,
    };

    /// <summary>Members of types allowed whole that Tollgate refuses all the same (see the remarks).</summary>
    private static bool IsRefused(INamedTypeSymbol type, ISymbol member)
    {
        var typeName = FullName(type);
        if (member is IMethodSymbol { Parameters: var parameters } && parameters.Any(IsPathOrUrl))
        {
            // Whatever type it is on: a member that takes a file name or a URL to read reaches the file system or the network.
            return true;
        }

        if (typeName == "System.Security.Cryptography.X509Certificates.X509Certificate2" && member.Name == "Verify")
        {
            // Building the chain downloads the intermediate certificates and CRLs the certificate points at (any URL).
            return true;
        }

        var firstIsString = member is IMethodSymbol { Parameters: [{ Type.SpecialType: SpecialType.System_String }, ..] };
        switch (typeName)
        {
            case "System.Xml.XmlReader":
                // Only Create(TextReader), which runs as ExpressionRuntime.CreateXmlReader; settings could turn DTDs and
                // resolvers on, a stream or URI would read what the expression did not hold as text. Settings is the
                // reader's settings object (not allowed); ReadContentAs/ReadElementContentAs take a Type.
                return member switch
                {
                    IMethodSymbol { Name: "Create" } factory => !IsRewritten(factory),
                    _ => member.Name is "Settings" or "ReadContentAs" or "ReadElementContentAs" or "ReadContentAsAsync" or "ReadElementContentAsAsync"
                        or "ReadValueChunkAsync" or "GetValueAsync" or "ReadAsync" or "SkipAsync" or "ReadInnerXmlAsync" or "ReadOuterXmlAsync"
                        or "MoveToContentAsync" or "ReadContentAsStringAsync" or "ReadElementContentAsStringAsync"
                        or "ReadContentAsBase64Async" or "ReadElementContentAsBase64Async" or "ReadContentAsBinHexAsync"
                        or "ReadElementContentAsBinHexAsync" or "ReadContentAsObjectAsync" or "ReadElementContentAsObjectAsync",
                };
            case "System.Xml.Linq.XDocument" or "System.Xml.Linq.XElement":
                return member.Name is "Load" or "LoadAsync" || (member.Name is "Save" && firstIsString);
            case "System.Xml.XmlDocument":
                // new XmlDocument() runs as ExpressionRuntime.NewXmlDocument (IsRewritten); it loads text only: LoadXml,
                // Load(TextReader) and Load(XmlReader) (the readers expressions can have are SafeParsing's or over a tree).
                return member switch
                {
                    IMethodSymbol { MethodKind: MethodKind.Constructor } constructor => !IsRewritten(constructor),
                    IMethodSymbol { Name: "Load", Parameters: [{ Type.Name: var loadFrom }] } => loadFrom is not ("TextReader" or "XmlReader"),
                    _ => false,
                };
            case "System.Security.Cryptography.X509Certificates.X509Certificate" or "System.Security.Cryptography.X509Certificates.X509Certificate2":
                return (member is IMethodSymbol { MethodKind: MethodKind.Constructor } || member.Name == "Import") && firstIsString
                    || member.Name is "CreateFromCertFile" or "CreateFromSignedFile" or "CreateFromPemFile" or "CreateFromEncryptedPemFile";
        }

        if (typeName.StartsWith("System.Security.Cryptography.", StringComparison.Ordinal) && member is IMethodSymbol { Name: "Create" } create)
        {
            // APIM refuses SymmetricAlgorithm.Create(); Create(string) runs as ExpressionRuntime.CreateCrypto (IsRewritten).
            return (typeName == "System.Security.Cryptography.SymmetricAlgorithm" && create.Parameters.Length == 0)
                || (create.Parameters.Any(p => p.Type.SpecialType == SpecialType.System_String) && !IsRewritten(create));
        }

        return false;
    }

    /// <summary>
    /// True for the allowed methods the compiler replaces with Tollgate's equivalents (so they may only be called, not
    /// turned into delegates): the static cryptography <c>Create(string)</c> factories (→ <c>ExpressionRuntime.CreateCrypto</c>),
    /// <c>XDocument.Parse</c> and <c>XElement.Parse</c> (→ <c>ExpressionRuntime.ParseXDocument</c>/<c>ParseXElement</c>:
    /// no DTD, bounded nesting), the <c>StringWriter</c> constructors without a <c>StringBuilder</c> (→ a bounded one) and
    /// <c>new XmlDocument()</c> (→ <c>ExpressionRuntime.NewXmlDocument</c>: safe loading, budgeted XPath).
    /// </summary>
    public static bool IsRewritten(IMethodSymbol method)
    {
        var typeName = FullName(method.ContainingType.OriginalDefinition);
        return method switch
        {
            { Name: "Create", IsStatic: true, Parameters: [{ Type.SpecialType: SpecialType.System_String }] }
                => typeName.StartsWith("System.Security.Cryptography.", StringComparison.Ordinal) && method.ReturnType.IsReferenceType,
            { Name: "Parse", IsStatic: true } => typeName is "System.Xml.Linq.XDocument" or "System.Xml.Linq.XElement",
            { Name: "Create", IsStatic: true, Parameters: [{ Type.Name: "TextReader" }] } => typeName == "System.Xml.XmlReader",
            { MethodKind: MethodKind.Constructor, Parameters.Length: 0 } when typeName == "System.Xml.XmlDocument" => true,
            { MethodKind: MethodKind.Constructor } => typeName == "System.IO.StringWriter"
                && !method.Parameters.Any(p => p.Type.Name == "StringBuilder"),
            _ => false,
        };
    }

    /// <summary>A parameter that names a file or a URL to open: <c>fileName</c>, <c>certPemFilePath</c>, <c>resourceFile</c>, <c>uri</c>, <c>url</c>.</summary>
    /// <remarks><c>path</c> alone is not one: it is <c>SelectToken</c>'s JSON path.</remarks>
    private static bool IsPathOrUrl(IParameterSymbol parameter) =>
        parameter.Type.SpecialType == SpecialType.System_String
        && (parameter.Name.Contains("file", StringComparison.OrdinalIgnoreCase)
            || parameter.Name.Equals("uri", StringComparison.OrdinalIgnoreCase)
            || parameter.Name.Equals("inputUri", StringComparison.OrdinalIgnoreCase)
            || parameter.Name.Equals("url", StringComparison.OrdinalIgnoreCase));

    /// <summary>
    /// True for a property an expression may read but not set: <c>XmlNode.InnerXml</c> (setting it parses XML outside
    /// <see cref="SafeParsing"/>, with no bound on nesting).
    /// </summary>
    public static bool IsSetterRefused(IPropertySymbol property)
    {
        for (IPropertySymbol? p = property; p is not null; p = p.OverriddenProperty)
        {
            if (p.Name == "InnerXml" && FullName(p.ContainingType.OriginalDefinition) == "System.Xml.XmlNode")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>
    /// True when <paramref name="type"/> is, or is built of, a System.Xml DOM type (<c>XmlNode</c> and its subclasses):
    /// such values may come only from <c>new XmlDocument()</c>, never from a library that instantiates types by itself
    /// (<c>JsonConvert.DeserializeObject&lt;XmlDocument&gt;</c> would make a document without Tollgate's guards).
    /// </summary>
    public static bool IsXmlDom(ITypeSymbol type) => type switch
    {
        IArrayTypeSymbol array => IsXmlDom(array.ElementType),
        INamedTypeSymbol named => named.TypeArguments.Any(IsXmlDom) || DerivesFromXmlNode(named),
        _ => false,
    };

    private static bool DerivesFromXmlNode(INamedTypeSymbol type)
    {
        for (var t = type; t is not null; t = t.BaseType)
        {
            if (FullName(t.OriginalDefinition) == "System.Xml.XmlNode")
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Metadata name with namespace: <c>System.Collections.Generic.List`1</c>, <c>System.TimeZoneInfo+AdjustmentRule</c>.</summary>
    public static string FullName(INamedTypeSymbol type)
    {
        if (type.ContainingType is { } outer)
        {
            return FullName(outer) + "+" + type.MetadataName;
        }

        var ns = type.ContainingNamespace;
        return ns is null || ns.IsGlobalNamespace ? type.MetadataName : ns.ToDisplayString() + "." + type.MetadataName;
    }

    private static Dictionary<string, HashSet<string>?> Load()
    {
        var types = new Dictionary<string, HashSet<string>?>(StringComparer.Ordinal);
        foreach (var line in Table.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            var colon = line.IndexOf(':', StringComparison.Ordinal);
            types[colon < 0 ? line : line[..colon]] = colon < 0 ? null : [.. line[(colon + 1)..].Split(' ', StringSplitOptions.RemoveEmptyEntries)];
        }

        foreach (var t in ContextTypes)
        {
            types[t.FullName!] = null;
        }

        return types;
    }
}
