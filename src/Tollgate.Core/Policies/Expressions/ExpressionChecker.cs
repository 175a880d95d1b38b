using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// Refuses, with the semantic model, every construct and symbol an expression may not use: each type and member it names
/// or reaches must be on <see cref="ExpressionAllowList"/>, and the type of every value it computes too (so a member
/// returning, say, a <c>MethodBase</c> is refused even when its own type is allowed).
/// </summary>
internal static class ExpressionChecker
{
    /// <summary>Returns (position in the tree, message) for each problem in <paramref name="segment"/>, each symbol once.</summary>
    public static List<(int Position, string Message)> Check(SemanticModel model, SyntaxNode root, TextSpan segment)
    {
        var problems = new List<(int, string)>();
        // Each cause once: a member of a forbidden type and the type's own name share the type's key.
        var reported = new HashSet<string>(StringComparer.Ordinal);
        void Report(SyntaxNode node, (string Key, string Message) problem)
        {
            if (reported.Add(problem.Key))
            {
                problems.Add((node.SpanStart, problem.Message));
            }
        }

        foreach (var node in root.DescendantNodes(segment))
        {
            if (!segment.Contains(node.Span))
            {
                continue;
            }

            if (RefusedSyntax(node) is { } why)
            {
                Report(node, (why, why));
                continue;
            }

            switch (node)
            {
                case ExpressionSyntax expression:
                    var symbol = model.GetSymbolInfo(expression).Symbol;
                    if (symbol is not null && RefusedSymbol(symbol) is { } refused)
                    {
                        Report(node, refused);
                    }
                    else if (symbol is IMethodSymbol method && ExpressionAllowList.IsRewritten(method.OriginalDefinition) && !IsCalled(expression))
                    {
                        Report(node, Problem("group:" + method.ToDisplayString(), $"'{method.ToDisplayString()}' may only be called in policy expressions, not turned into a delegate."));
                    }
                    else if (expression is ObjectCreationExpressionSyntax { Initializer: not null } && symbol is IMethodSymbol { ContainingType: var created }
                        && ExpressionAllowList.FullName(created.OriginalDefinition) is "System.Text.StringBuilder" or "System.IO.StringWriter" or "System.Xml.XmlDocument")
                    {
                        // The bounded StringBuilder (or guarded XmlDocument) a creation becomes is made by a call, which cannot take an initializer.
                        Report(node, Problem("initializer:" + created.ToDisplayString(), $"'new {created.Name}(…) {{ … }}' is not allowed in policy expressions: set its properties after creating it."));
                    }

                    if (expression is ObjectCreationExpressionSyntax && model.GetTypeInfo(expression).Type is ITypeParameterSymbol parameterType)
                    {
                        // new T() is Activator.CreateInstance<T>(): it would make a StringBuilder, StringWriter or XmlDocument
                        // without the bounds the compiler gives the ones an expression creates by name.
                        Report(node, Problem("new:" + parameterType.Name, $"'new {parameterType.Name}()' is not allowed in policy expressions: create the type by its name."));
                    }

                    if (expression is AssignmentExpressionSyntax assignment && model.GetSymbolInfo(assignment.Left).Symbol is IPropertySymbol assigned
                        && ExpressionAllowList.IsSetterRefused(assigned.OriginalDefinition))
                    {
                        Report(node, Problem("setter:" + assigned.ToDisplayString(), $"Setting '{assigned.ToDisplayString()}' is not allowed in policy expressions (it may only be read): load XML with LoadXml."));
                    }

                    if (model.GetTypeInfo(expression).Type is { } type && RefusedType(type) is { } refusedType)
                    {
                        Report(node, refusedType);
                    }


                    break;
                case VariableDeclaratorSyntax or SingleVariableDesignationSyntax or ForEachStatementSyntax or CatchDeclarationSyntax:
                    if (model.GetDeclaredSymbol(node) is ILocalSymbol local && RefusedType(local.Type) is { } refusedLocal)
                    {
                        Report(node, refusedLocal);
                    }

                    break;
            }
        }

        return problems;
    }

    /// <summary>True when <paramref name="expression"/> is a call, or a method's name (alone or after a dot) that an invocation or object creation calls.</summary>
    private static bool IsCalled(ExpressionSyntax expression)
    {
        SyntaxNode node = expression;
        if (node.Parent is MemberAccessExpressionSyntax access && access.Name == node)
        {
            node = access;
        }

        return node.Parent switch
        {
            InvocationExpressionSyntax invocation => invocation.Expression == node,
            ObjectCreationExpressionSyntax creation => creation.Type == node,
            _ => node is InvocationExpressionSyntax or ObjectCreationExpressionSyntax,
        };
    }

    private static string? RefusedSyntax(SyntaxNode node) => node.Kind() switch
    {
        SyntaxKind.UnsafeStatement or SyntaxKind.FixedStatement or SyntaxKind.PointerType or SyntaxKind.FunctionPointerType
            or SyntaxKind.AddressOfExpression or SyntaxKind.PointerIndirectionExpression or SyntaxKind.PointerMemberAccessExpression
            => "Unsafe code and pointers are not allowed in policy expressions.",
        SyntaxKind.StackAllocArrayCreationExpression or SyntaxKind.ImplicitStackAllocArrayCreationExpression
            => "'stackalloc' is not allowed in policy expressions.",
        SyntaxKind.ArrayRankSpecifier when ((ArrayRankSpecifierSyntax)node).Rank > 1
            => "Multi-dimensional arrays are not allowed in policy expressions (use arrays of arrays).",
        SyntaxKind.AwaitExpression => "'await' is not allowed in policy expressions.",
        SyntaxKind.YieldReturnStatement or SyntaxKind.YieldBreakStatement => "'yield' is not allowed in policy expressions.",
        SyntaxKind.LockStatement => "'lock' is not allowed in policy expressions.",
        SyntaxKind.ArgListExpression or SyntaxKind.MakeRefExpression or SyntaxKind.RefTypeExpression or SyntaxKind.RefValueExpression
            => $"'{node.GetFirstToken().Text}' is not allowed in policy expressions.",
        _ => null,
    };

    private static (string Key, string Message)? RefusedSymbol(ISymbol symbol)
    {
        switch (symbol)
        {
            case IMethodSymbol { MethodKind: MethodKind.AnonymousFunction or MethodKind.LambdaMethod }:
                return null;
            case IMethodSymbol { MethodKind: MethodKind.LocalFunction } local:
                // The expression's own function: its body is checked like the rest; every call passes EnterCall (recursion depth).
                return local.TypeArguments.Select(RefusedType).FirstOrDefault(r => r is not null);
            case IMethodSymbol { MethodKind: MethodKind.DelegateInvoke } invoke:
                return Problem("delegate", $"Calling a delegate ('{invoke.ContainingType.ToDisplayString()}') is not allowed in policy expressions: write lambdas only as arguments of a method.");
            case IMethodSymbol method:
                var definition = method.ReducedFrom ?? method;
                if (!ExpressionAllowList.IsMemberAllowed(definition.OriginalDefinition))
                {
                    return NotAllowed(definition.OriginalDefinition);
                }

                foreach (var argument in method.TypeArguments)
                {
                    if (RefusedType(argument) is { } refused)
                    {
                        return refused;
                    }

                    if (ExpressionAllowList.IsXmlDom(argument) && definition.ContainingNamespace?.ToDisplayString() is { } ns && ns.StartsWith("Newtonsoft.Json", StringComparison.Ordinal))
                    {
                        // Newtonsoft would instantiate the XmlDocument itself, without the guards of new XmlDocument().
                        return Problem("dom:" + method.ToDisplayString(), $"'{method.ToDisplayString()}' is not allowed in policy expressions: XML documents are made with new XmlDocument() and LoadXml.");
                    }
                }

                return null;
            case IPropertySymbol or IFieldSymbol or IEventSymbol:
                return ExpressionAllowList.IsMemberAllowed(symbol.OriginalDefinition) ? null : NotAllowed(symbol.OriginalDefinition);
            case ITypeSymbol type:
                return RefusedType(type);
            case ILocalSymbol local:
                return RefusedType(local.Type);
            case IParameterSymbol parameter:
                return RefusedType(parameter.Type);
            default:
                return null;
        }
    }

    private static (string Key, string Message)? RefusedType(ITypeSymbol type)
    {
        switch (type)
        {
            case IErrorTypeSymbol or ITypeParameterSymbol:
                return null;
            case IDynamicTypeSymbol:
                return Problem("dynamic", "'dynamic' is not allowed in policy expressions.");
            case IPointerTypeSymbol or IFunctionPointerTypeSymbol:
                return Problem("pointer", "Unsafe code and pointers are not allowed in policy expressions.");
            case IArrayTypeSymbol array:
                return RefusedType(array.ElementType);
            case INamedTypeSymbol named:
                if (named.IsTupleType)
                {
                    return named.TupleElements.Select(e => RefusedType(e.Type)).FirstOrDefault(r => r is not null);
                }

                if (named.TypeKind == TypeKind.Delegate)
                {
                    return Problem("type:" + named.OriginalDefinition.ToDisplayString(), $"Delegate type '{named.ToDisplayString()}' is not allowed in policy expressions: write lambdas only as arguments of a method.");
                }

                if (!ExpressionAllowList.IsTypeAllowed(named.OriginalDefinition))
                {
                    return TypeProblem(named.OriginalDefinition);
                }

                return named.TypeArguments.Select(RefusedType).FirstOrDefault(r => r is not null);
            default:
                return Problem("type:" + type.ToDisplayString(), $"Type '{type.ToDisplayString()}' is not allowed in policy expressions.");
        }
    }

    private static (string Key, string Message) NotAllowed(ISymbol member)
    {
        var type = member.ContainingType.OriginalDefinition;
        return ExpressionAllowList.IsTypeAllowed(type)
            ? Problem("member:" + member.ToDisplayString(), $"'{member.ToDisplayString()}' is not allowed in policy expressions.")
            : Problem("type:" + type.ToDisplayString(), $"'{member.ToDisplayString()}' is not allowed in policy expressions: type '{type.ToDisplayString()}' is not allowed.");
    }

    private static (string Key, string Message) TypeProblem(INamedTypeSymbol type) =>
        Problem("type:" + type.ToDisplayString(), $"Type '{type.ToDisplayString()}' is not allowed in policy expressions.");

    private static (string Key, string Message) Problem(string key, string message) => (key, message);
}
