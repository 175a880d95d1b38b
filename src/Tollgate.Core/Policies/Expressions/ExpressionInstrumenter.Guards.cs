using System.Globalization;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>The size, nesting and regular expression guards (see <see cref="ExpressionRuntime"/>'s guard methods).</summary>
internal sealed partial class ExpressionInstrumenter
{
    private const string RegexType = "System.Text.RegularExpressions.Regex";

    /// <summary>Methods that add elements to their receiver.</summary>
    private static readonly HashSet<string> Growing =
    [
        "Add", "AddRange", "Insert", "InsertRange", "Push", "Enqueue", "TryAdd", "AddFirst", "AddLast", "UnionWith",
        "SymmetricExceptWith", "Merge", "AddAfterSelf", "AddBeforeSelf",
    ];

    private static readonly HashSet<string> RegexStatics = ["IsMatch", "Match", "Matches", "Replace", "Split"];

    private static readonly HashSet<string> CapacityTypes =
    [
        "System.Collections.Generic.List`1", "System.Collections.Generic.Dictionary`2", "System.Collections.Generic.HashSet`1",
        "System.Collections.Generic.Queue`1", "System.Collections.Generic.Stack`1",
    ];

    public override SyntaxNode? VisitInvocationExpression(InvocationExpressionSyntax node)
    {
        var visited = (InvocationExpressionSyntax)base.VisitInvocationExpression(node)!;
        if (model.GetSymbolInfo(node).Symbol is not IMethodSymbol method || InConditionalAccess(node.Expression))
        {
            return visited;
        }

        var typeName = ExpressionAllowList.FullName(method.ContainingType.OriginalDefinition);
        if (method.IsStatic && method.ReducedFrom is null && ExpressionAllowList.IsRewritten(method.OriginalDefinition))
        {
            return Rewritten(method, typeName, visited.ArgumentList);
        }

        if (typeName == RegexType && method.IsStatic && RegexStatics.Contains(method.Name) && !method.Parameters.Any(IsTimeSpan))
        {
            visited = visited.WithArgumentList(WithRegexTimeout(visited.ArgumentList, method));
        }

        if (!method.IsStatic && method.ReducedFrom is null
            && node.Expression is MemberAccessExpressionSyntax original && visited.Expression is MemberAccessExpressionSyntax access
            && model.GetTypeInfo(original.Expression).Type is { IsReferenceType: true } receiverType)
        {
            var receiver = Receiver(access.Expression, receiverType, Growing.Contains(method.Name), node.ArgumentList.Arguments.Any(a => NestKind(a.Expression) is not null));
            visited = visited.WithExpression(access.WithExpression(receiver));
        }

        ExpressionSyntax result = visited;
        if (method.ReturnType.SpecialType == SpecialType.System_String)
        {
            result = Str(result);
        }
        else if (typeName == "System.Linq.Enumerable" && method.ReturnType is INamedTypeSymbol { OriginalDefinition: var returned })
        {
            var name = ExpressionAllowList.FullName(returned);
            result = name switch
            {
                "System.Collections.Generic.IEnumerable`1" => Call("Ticked", result),
                "System.Linq.IOrderedEnumerable`1" => Call("TickedOrdered", result),
                _ => result,
            };
        }

        return result;
    }

    public override SyntaxNode? VisitConditionalAccessExpression(ConditionalAccessExpressionSyntax node)
    {
        var visited = (ConditionalAccessExpressionSyntax)base.VisitConditionalAccessExpression(node)!;
        if (model.GetTypeInfo(node.Expression).Type is { IsReferenceType: true } receiverType && MayBeParented(receiverType))
        {
            // a?.Add(b): the receiver of the call cannot be wrapped where it is, so the whole chain's start is.
            visited = visited.WithExpression(Call("Parented", visited.Expression));
        }

        return model.GetTypeInfo(node).Type?.SpecialType == SpecialType.System_String ? Str(visited) : visited;
    }

    public override SyntaxNode? VisitObjectCreationExpression(ObjectCreationExpressionSyntax node)
    {
        var visited = (ObjectCreationExpressionSyntax)base.VisitObjectCreationExpression(node)!;
        if (model.GetSymbolInfo(node).Symbol is not IMethodSymbol constructor)
        {
            return visited;
        }

        var typeName = ExpressionAllowList.FullName(constructor.ContainingType.OriginalDefinition);
        switch (typeName)
        {
            case RegexType when !constructor.Parameters.Any(IsTimeSpan) && visited.ArgumentList is { } arguments:
                return visited.WithArgumentList(WithRegexTimeout(arguments, constructor));
            case "System.Text.StringBuilder" when visited.Initializer is null:
                return InvocationExpression(ParseExpression(Runtime + ".NewStringBuilder"), visited.ArgumentList ?? ArgumentList());
            case "System.IO.StringWriter" when visited.Initializer is null && ExpressionAllowList.IsRewritten(constructor.OriginalDefinition):
                return InvocationExpression(ParseExpression(Runtime + ".NewStringWriter"), visited.ArgumentList ?? ArgumentList());
            case "System.Xml.XmlDocument" when visited.Initializer is null && ExpressionAllowList.IsRewritten(constructor.OriginalDefinition):
                return InvocationExpression(ParseExpression(Runtime + ".NewXmlDocument"), ArgumentList());
            case "System.String":
                return Str(visited);
            default:
                // new List<T>(items), new JArray(a.Children(), a.Children()): copied without a step per element.
                return constructor.Parameters.Length > 0 && IsCollection(constructor.ContainingType) ? Call("Built", visited) : visited;
        }
    }

    public override SyntaxNode? VisitArgument(ArgumentSyntax node)
    {
        var visited = (ArgumentSyntax)base.VisitArgument(node)!;
        if (!node.RefOrOutKeyword.IsKind(SyntaxKind.None) || node.Expression is DeclarationExpressionSyntax)
        {
            return visited;
        }

        if (node.Parent is TupleExpressionSyntax tuple)
        {
            return IsAssigned(tuple) || NestKind(node.Expression) is null
                ? visited
                : visited.WithExpression(Call("Nest", visited.Expression, False)).WithNameColon(visited.NameColon ?? TupleName(tuple, node));
        }

        var owner = node.Parent?.Parent;
        var target = owner is null ? null : model.GetSymbolInfo(owner).Symbol;
        var parameter = Parameter(target, node);
        if (target is null || parameter is null)
        {
            return visited;
        }

        var typeName = ExpressionAllowList.FullName(target.ContainingType.OriginalDefinition);
        if (typeName == RegexType && IsTimeSpan(parameter))
        {
            return visited.WithExpression(Call("RegexTimeout", visited.Expression));
        }

        if (parameter.Type.SpecialType == SpecialType.System_Int32 && SizeOf(typeName, target, parameter.Name) is { } characters)
        {
            return visited.WithExpression(Call("Size", visited.Expression, characters ? True : False));
        }

        return NestKind(node.Expression) is not null
            ? visited.WithExpression(Call("Nest", visited.Expression, Walks(target) ? True : False))
            : visited;
    }

    public override SyntaxNode? VisitAssignmentExpression(AssignmentExpressionSyntax node)
    {
        var visited = (AssignmentExpressionSyntax)base.VisitAssignmentExpression(node)!;
        if (node.IsKind(SyntaxKind.AddAssignmentExpression) && model.GetTypeInfo(node).Type?.SpecialType == SpecialType.System_String)
        {
            return Str(visited);
        }

        if (!node.IsKind(SyntaxKind.SimpleAssignmentExpression) || model.GetSymbolInfo(node.Left).Symbol is not IPropertySymbol property)
        {
            return visited;
        }

        var typeName = ExpressionAllowList.FullName(property.ContainingType.OriginalDefinition);
        var right = visited.Right;
        var nests = NestKind(node.Right) is not null;
        if (property.Name == "Capacity" && property.Type.SpecialType == SpecialType.System_Int32 && (CapacityTypes.Contains(typeName) || typeName == "System.Text.StringBuilder"))
        {
            right = Call("Size", right, typeName == "System.Text.StringBuilder" ? True : False);
        }
        else if (nests)
        {
            right = Call("Nest", right, Walks(property) ? True : False);
        }

        var left = visited.Left;
        var growing = property.IsIndexer;
        switch (node.Left, left)
        {
            case (MemberAccessExpressionSyntax original, MemberAccessExpressionSyntax access) when model.GetTypeInfo(original.Expression).Type is { IsReferenceType: true } t:
                left = access.WithExpression(Receiver(access.Expression, t, growing, nests));
                break;
            case (ElementAccessExpressionSyntax original, ElementAccessExpressionSyntax access) when model.GetTypeInfo(original.Expression).Type is { IsReferenceType: true } t:
                left = access.WithExpression(Receiver(access.Expression, t, growing, nests));
                break;
        }

        return visited.WithLeft(left).WithRight(right);
    }

    public override SyntaxNode? VisitBinaryExpression(BinaryExpressionSyntax node)
    {
        var visited = base.VisitBinaryExpression(node)!;
        var chained = node.Parent is BinaryExpressionSyntax { RawKind: (int)SyntaxKind.AddExpression } parent && parent.Left == node && IsString(parent);
        return node.IsKind(SyntaxKind.AddExpression) && !chained && IsString(node) && !model.GetConstantValue(node).HasValue
            ? Str((ExpressionSyntax)visited)
            : visited;
    }

    public override SyntaxNode? VisitInterpolatedStringExpression(InterpolatedStringExpressionSyntax node)
    {
        var visited = (ExpressionSyntax)base.VisitInterpolatedStringExpression(node)!;
        return model.GetTypeInfo(node).ConvertedType?.SpecialType == SpecialType.System_String ? Str(visited) : visited;
    }

    public override SyntaxNode? VisitAnonymousObjectMemberDeclarator(AnonymousObjectMemberDeclaratorSyntax node)
    {
        var visited = (AnonymousObjectMemberDeclaratorSyntax)base.VisitAnonymousObjectMemberDeclarator(node)!;
        if (NestKind(node.Expression) is null)
        {
            return visited;
        }

        // new { a } takes its member's name from the expression: keep it once the expression is wrapped.
        var name = visited.NameEquals ?? (model.GetDeclaredSymbol(node) is { } member ? NameEquals(member.Name) : null);
        return visited.WithExpression(Call("Nest", visited.Expression, False)).WithNameEquals(name);
    }

    public override SyntaxNode? VisitInitializerExpression(InitializerExpressionSyntax node)
    {
        var visited = (InitializerExpressionSyntax)base.VisitInitializerExpression(node)!;
        if (!node.IsKind(SyntaxKind.CollectionInitializerExpression) && !node.IsKind(SyntaxKind.ComplexElementInitializerExpression))
        {
            return visited;
        }

        var expressions = visited.Expressions;
        for (var i = 0; i < node.Expressions.Count; i++)
        {
            var element = node.Expressions[i];
            if (element is InitializerExpressionSyntax || NestKind(element) is null)
            {
                continue;
            }

            var add = model.GetCollectionInitializerSymbolInfo(node.IsKind(SyntaxKind.ComplexElementInitializerExpression) ? node : element).Symbol;
            expressions = expressions.Replace(expressions[i], Call("Nest", expressions[i], add is not null && Walks(add) ? True : False));
        }

        return visited.WithExpressions(expressions);
    }

    public override SyntaxNode? VisitArrayRankSpecifier(ArrayRankSpecifierSyntax node)
    {
        var visited = (ArrayRankSpecifierSyntax)base.VisitArrayRankSpecifier(node)!;
        var sizes = visited.Sizes;
        for (var i = 0; i < node.Sizes.Count; i++)
        {
            var size = node.Sizes[i];
            if (size is OmittedArraySizeExpressionSyntax
                || model.GetTypeInfo(size).Type?.SpecialType is not (SpecialType.System_Int32 or SpecialType.System_Int64)
                || (model.GetConstantValue(size) is { HasValue: true, Value: int n } && n <= limits.MaxElements))
            {
                continue;
            }

            sizes = sizes.Replace(sizes[i], Call("Size", sizes[i], False));
        }

        return visited.WithSizes(sizes);
    }

    /// <summary>A call of a method Tollgate runs its own way (<see cref="ExpressionAllowList.IsRewritten"/>), with the arguments as written.</summary>
    private static ExpressionSyntax Rewritten(IMethodSymbol method, string typeName, ArgumentListSyntax arguments)
    {
        if (method.Name == "Create" && typeName != "System.Xml.XmlReader")
        {
            // CreateCrypto<T>(name): the framework's parameter is algName or hashName; the one argument is passed by position.
            var type = method.ReturnType.WithNullableAnnotation(NullableAnnotation.NotAnnotated).ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat);
            return InvocationExpression(
                ParseExpression($"{Runtime}.CreateCrypto<{type}>"),
                arguments.WithArguments(SeparatedList(arguments.Arguments.Select(a => a.WithNameColon(null)))));
        }

        if (method.Name == "Create")
        {
            // XmlReader.Create(TextReader): a safe, depth-bounded reader (ExpressionRuntime.CreateXmlReader).
            return InvocationExpression(ParseExpression(Runtime + ".CreateXmlReader"), arguments);
        }

        var name = typeName == "System.Xml.Linq.XDocument" ? "ParseXDocument" : "ParseXElement";
        return InvocationExpression(ParseExpression(Runtime + "." + name), arguments);
    }

    public override SyntaxNode? VisitLocalFunctionStatement(LocalFunctionStatementSyntax node)
    {
        // Every call counts a step and one level of recursion (EnterCall), given back when it returns or throws.
        var visited = (LocalFunctionStatementSyntax)base.VisitLocalFunctionStatement(node)!;
        BlockSyntax body;
        if (visited.Body is { } block)
        {
            body = block;
        }
        else
        {
            var returnsVoid = model.GetDeclaredSymbol(node) is IMethodSymbol { ReturnsVoid: true };
            var expression = visited.ExpressionBody!.Expression;
            body = Block(expression is ThrowExpressionSyntax t ? ThrowStatement(t.Expression) : returnsVoid ? ExpressionStatement(expression) : ReturnStatement(expression));
        }

        var guarded = Block(
            ParseStatement(Runtime + ".EnterCall();"),
            TryStatement(body, default, FinallyClause(Block(ParseStatement(Runtime + ".ExitCall();")))));
        return visited.WithExpressionBody(null).WithSemicolonToken(default).WithBody(guarded);
    }

    /// <summary>Non-null when <paramref name="expression"/>'s value may hold a nested graph (its type), else null.</summary>
    private ITypeSymbol? NestKind(ExpressionSyntax expression) =>
        model.GetTypeInfo(expression).Type is { } type && MayNest(type, 0) ? type : null;

    /// <summary>True for types whose values can hold a graph some library code walks recursively.</summary>
    private static bool MayNest(ITypeSymbol type, int depth)
    {
        if (depth > 8)
        {
            return true;
        }

        switch (type)
        {
            case IArrayTypeSymbol array:
                return MayNest(array.ElementType, depth + 1);
            case ITypeParameterSymbol:
                return true;
            case INamedTypeSymbol named:
                if (named.SpecialType == SpecialType.System_Object)
                {
                    return true;
                }

                if (named.IsAnonymousType)
                {
                    return named.GetMembers().OfType<IPropertySymbol>().Any(p => MayNest(p.Type, depth + 1));
                }

                if (named.IsTupleType)
                {
                    return named.TupleElements.Any(e => MayNest(e.Type, depth + 1));
                }

                var ns = named.ContainingNamespace?.ToDisplayString() ?? "";
                if (ns.StartsWith("Tollgate", StringComparison.Ordinal))
                {
                    return false;
                }

                if (named.TypeKind == TypeKind.Interface)
                {
                    return !named.IsGenericType || named.TypeArguments.Any(a => MayNest(a, depth + 1));
                }

                if (ns == "Newtonsoft.Json.Linq")
                {
                    return named.Name != "JValue" && named.Name != "JRaw" && named.TypeKind == TypeKind.Class;
                }

                if (ns == "System.Xml.Linq")
                {
                    return named.Name is "XContainer" or "XElement" or "XDocument" or "XNode" or "XObject";
                }

                for (var t = named; t is not null; t = t.BaseType)
                {
                    if (ExpressionAllowList.FullName(t.OriginalDefinition) == "System.Exception")
                    {
                        return true;
                    }
                }

                return named.IsGenericType && named.TypeArguments.Any(a => MayNest(a, depth + 1));
            default:
                return false;
        }
    }

    /// <summary>JSON and XML nodes (and interfaces they implement) get children: their depth is bounded.</summary>
    private static bool MayBeParented(ITypeSymbol type) =>
        (type.TypeKind == TypeKind.Interface && type.ContainingNamespace?.ToDisplayString().StartsWith("Tollgate", StringComparison.Ordinal) != true)
        || type.SpecialType == SpecialType.System_Object
        || (type.ContainingNamespace?.ToDisplayString() is "Newtonsoft.Json.Linq" or "System.Xml.Linq");

    private static bool IsCollection(ITypeSymbol type) =>
        type.AllInterfaces.Any(i => ExpressionAllowList.FullName(i.OriginalDefinition) is "System.Collections.ICollection" or "System.Collections.Generic.ICollection`1")
        || (type is INamedTypeSymbol { TypeKind: TypeKind.Interface } named && ExpressionAllowList.FullName(named.OriginalDefinition) is "System.Collections.Generic.ICollection`1" or "System.Collections.Generic.IList`1" or "System.Collections.Generic.IDictionary`2" or "System.Collections.Generic.ISet`1");

    /// <summary>True when <paramref name="member"/> belongs to Newtonsoft.Json or System.Xml.Linq, which walk collections handed to them.</summary>
    private static bool Walks(ISymbol member) =>
        member.ContainingType?.ContainingNamespace?.ToDisplayString() is { } ns
        && (ns.StartsWith("Newtonsoft.Json", StringComparison.Ordinal) || ns == "System.Xml.Linq");

    private ExpressionSyntax Receiver(ExpressionSyntax receiver, ITypeSymbol type, bool growing, bool nests)
    {
        if (growing && IsCollection(type))
        {
            receiver = Call("Items", receiver);
        }

        if (nests && MayBeParented(type))
        {
            receiver = Call("Parented", receiver);
        }

        return receiver;
    }

    /// <summary>For a size parameter of an allocating member: true for characters, false for elements; null for other parameters.</summary>
    private static bool? SizeOf(string typeName, ISymbol member, string parameter) => (typeName, member.Name, parameter) switch
    {
        ("System.String", ".ctor", "count") => true,
        ("System.String", "PadLeft" or "PadRight", "totalWidth") => true,
        ("System.Text.StringBuilder", _, "capacity" or "repeatCount") => true,
        ("System.Array", "Resize", "newSize") => false,
        (_, ".ctor" or "EnsureCapacity", "capacity") when CapacityTypes.Contains(typeName) => false,
        _ => null,
    };

    private static IParameterSymbol? Parameter(ISymbol? target, ArgumentSyntax argument)
    {
        var parameters = target switch
        {
            IMethodSymbol m => m.Parameters,
            IPropertySymbol p => p.Parameters,
            _ => default,
        };
        if (parameters.IsDefaultOrEmpty)
        {
            return null;
        }

        if (argument.NameColon is { } name)
        {
            return parameters.FirstOrDefault(p => p.Name == name.Name.Identifier.ValueText);
        }

        var index = argument.Parent is BaseArgumentListSyntax list ? list.Arguments.IndexOf(argument) : -1;
        return index < 0 ? null : index < parameters.Length ? parameters[index] : parameters[^1].IsParams ? parameters[^1] : null;
    }

    private ArgumentListSyntax WithRegexTimeout(ArgumentListSyntax arguments, IMethodSymbol method)
    {
        var list = arguments.Arguments;
        if (!method.Parameters.Any(p => p.Type.Name == "RegexOptions"))
        {
            list = list.Add(Argument(ParseExpression("global::System.Text.RegularExpressions.RegexOptions.None")));
        }

        return arguments.WithArguments(list.Add(Argument(Call("RegexTimeout"))));
    }

    private static bool IsTimeSpan(IParameterSymbol parameter) => parameter.Type.ToDisplayString() == "System.TimeSpan";

    private bool IsString(ExpressionSyntax expression) => model.GetTypeInfo(expression).Type?.SpecialType == SpecialType.System_String;

    /// <summary>True for a tuple on the left of an assignment (deconstruction): its elements are variables.</summary>
    private static bool IsAssigned(TupleExpressionSyntax tuple)
    {
        SyntaxNode current = tuple;
        while (current.Parent is ArgumentSyntax { Parent: TupleExpressionSyntax outer })
        {
            current = outer;
        }

        return current.Parent is AssignmentExpressionSyntax assignment && assignment.Left == current
            || current.Parent is ForEachVariableStatementSyntax;
    }

    private NameColonSyntax? TupleName(TupleExpressionSyntax tuple, ArgumentSyntax argument)
    {
        var index = tuple.Arguments.IndexOf(argument);
        return model.GetTypeInfo(tuple).Type is INamedTypeSymbol { IsTupleType: true } type && index >= 0 && index < type.TupleElements.Length
            && type.TupleElements[index] is { } element && element.Name != "Item" + (index + 1).ToString(CultureInfo.InvariantCulture)
                ? NameColon(element.Name)
                : null;
    }

    /// <summary>True when <paramref name="expression"/> starts with <c>.x</c> or <c>[i]</c> of a <c>?.</c> chain (it cannot be wrapped).</summary>
    private static bool InConditionalAccess(ExpressionSyntax expression)
    {
        var current = expression;
        while (true)
        {
            switch (current)
            {
                case MemberBindingExpressionSyntax or ElementBindingExpressionSyntax:
                    return true;
                case MemberAccessExpressionSyntax m:
                    current = m.Expression;
                    break;
                case InvocationExpressionSyntax i:
                    current = i.Expression;
                    break;
                case ElementAccessExpressionSyntax e:
                    current = e.Expression;
                    break;
                default:
                    return false;
            }
        }
    }

    private ExpressionSyntax Str(ExpressionSyntax value) =>
        Call("Str", value, LiteralExpression(SyntaxKind.NumericLiteralExpression, Literal(limits.MaxStringLength)));

    private static ExpressionSyntax Call(string name, params ExpressionSyntax[] arguments) =>
        InvocationExpression(ParseExpression(Runtime + "." + name), ArgumentList(SeparatedList(arguments.Select(Argument))));

    private static readonly LiteralExpressionSyntax True = LiteralExpression(SyntaxKind.TrueLiteralExpression);

    private static readonly LiteralExpressionSyntax False = LiteralExpression(SyntaxKind.FalseLiteralExpression);
}
