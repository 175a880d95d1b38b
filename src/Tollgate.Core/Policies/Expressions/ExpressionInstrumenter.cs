using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using static Microsoft.CodeAnalysis.CSharp.SyntaxFactory;

namespace Tollgate.Core.Policies.Expressions;

/// <summary>
/// Adds the budget checks of <see cref="ExpressionRuntime"/> to checked code: first statement of every loop body, before
/// every <c>goto</c>, first statement of every lambda and anonymous method, and around every query clause expression;
/// and the size guards (see <see cref="ExpressionLimits"/>): around computed strings, lazy LINQ results, sizes about to
/// be allocated, values that may nest handed to library code, receivers that grow or get children, regular expression
/// timeouts. Runs on trees that compiled cleanly and passed <see cref="ExpressionChecker"/>; reads the original tree's model.
/// </summary>
internal sealed partial class ExpressionInstrumenter(SemanticModel model, ExpressionLimits limits) : CSharpSyntaxRewriter
{
    private const string Runtime = "global::Tollgate.Core.Policies.Expressions.ExpressionRuntime";

    private static readonly StatementSyntax TickStatement = ParseStatement(Runtime + ".Tick();");

    public override SyntaxNode? VisitWhileStatement(WhileStatementSyntax node)
    {
        var visited = (WhileStatementSyntax)base.VisitWhileStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitDoStatement(DoStatementSyntax node)
    {
        var visited = (DoStatementSyntax)base.VisitDoStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitForStatement(ForStatementSyntax node)
    {
        var visited = (ForStatementSyntax)base.VisitForStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitForEachStatement(ForEachStatementSyntax node)
    {
        var visited = (ForEachStatementSyntax)base.VisitForEachStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitForEachVariableStatement(ForEachVariableStatementSyntax node)
    {
        var visited = (ForEachVariableStatementSyntax)base.VisitForEachVariableStatement(node)!;
        return visited.WithStatement(Prepend(visited.Statement));
    }

    public override SyntaxNode? VisitGotoStatement(GotoStatementSyntax node) =>
        Block(TickStatement, (StatementSyntax)base.VisitGotoStatement(node)!);

    public override SyntaxNode? VisitSimpleLambdaExpression(SimpleLambdaExpressionSyntax node) =>
        InstrumentFunction(node, (AnonymousFunctionExpressionSyntax)base.VisitSimpleLambdaExpression(node)!);

    public override SyntaxNode? VisitParenthesizedLambdaExpression(ParenthesizedLambdaExpressionSyntax node) =>
        InstrumentFunction(node, (AnonymousFunctionExpressionSyntax)base.VisitParenthesizedLambdaExpression(node)!);

    public override SyntaxNode? VisitAnonymousMethodExpression(AnonymousMethodExpressionSyntax node) =>
        InstrumentFunction(node, (AnonymousFunctionExpressionSyntax)base.VisitAnonymousMethodExpression(node)!);

    // Query clauses become lambdas the code cannot see: wrap their expressions in Tick(value).
    public override SyntaxNode? VisitWhereClause(WhereClauseSyntax node)
    {
        var v = (WhereClauseSyntax)base.VisitWhereClause(node)!;
        return v.WithCondition(Ticked(v.Condition));
    }

    public override SyntaxNode? VisitSelectClause(SelectClauseSyntax node)
    {
        var v = (SelectClauseSyntax)base.VisitSelectClause(node)!;
        return v.WithExpression(Ticked(v.Expression));
    }

    public override SyntaxNode? VisitFromClause(FromClauseSyntax node)
    {
        var v = (FromClauseSyntax)base.VisitFromClause(node)!;
        return v.WithExpression(Ticked(v.Expression));
    }

    public override SyntaxNode? VisitLetClause(LetClauseSyntax node)
    {
        var v = (LetClauseSyntax)base.VisitLetClause(node)!;
        return v.WithExpression(Ticked(v.Expression));
    }

    public override SyntaxNode? VisitOrdering(OrderingSyntax node)
    {
        var v = (OrderingSyntax)base.VisitOrdering(node)!;
        return v.WithExpression(Ticked(v.Expression));
    }

    public override SyntaxNode? VisitGroupClause(GroupClauseSyntax node)
    {
        var v = (GroupClauseSyntax)base.VisitGroupClause(node)!;
        return v.WithGroupExpression(Ticked(v.GroupExpression)).WithByExpression(Ticked(v.ByExpression));
    }

    public override SyntaxNode? VisitJoinClause(JoinClauseSyntax node)
    {
        var v = (JoinClauseSyntax)base.VisitJoinClause(node)!;
        return v.WithInExpression(Ticked(v.InExpression)).WithLeftExpression(Ticked(v.LeftExpression)).WithRightExpression(Ticked(v.RightExpression));
    }

    private static ExpressionSyntax Ticked(ExpressionSyntax value) =>
        InvocationExpression(ParseExpression(Runtime + ".Tick")).AddArgumentListArguments(Argument(ParenthesizedExpression(value)));

    private static StatementSyntax Prepend(StatementSyntax body) =>
        body is BlockSyntax block ? block.WithStatements(block.Statements.Insert(0, TickStatement)) : Block(TickStatement, body);

    private SyntaxNode InstrumentFunction(AnonymousFunctionExpressionSyntax original, AnonymousFunctionExpressionSyntax visited)
    {
        if (visited.Block is { } block)
        {
            return visited.WithBlock(block.WithStatements(block.Statements.Insert(0, TickStatement)));
        }

        var body = visited.ExpressionBody!;
        var returnsVoid = model.GetSymbolInfo(original).Symbol is IMethodSymbol { ReturnsVoid: true };
        StatementSyntax statement = body switch
        {
            ThrowExpressionSyntax t => ThrowStatement(t.Expression),
            _ when returnsVoid => ExpressionStatement(body),
            _ => ReturnStatement(body),
        };
        return visited.WithExpressionBody(null).WithBlock(Block(TickStatement, statement));
    }
}
