using System.Text.RegularExpressions;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Ui.Rendering;

/// <summary>
/// The list page's filter: Temporal's list filter as typed (<c>?query=</c>), split into the part the status quick
/// filters add (<c>… AND ExecutionStatus = 'Running'</c>), the rest (<see cref="Base"/>, what the counts by status
/// are of) and a trailing <c>ORDER BY</c>.
/// </summary>
public sealed partial record ListFilter(string Query, string Base, string? Status, string Order)
{
    /// <summary>The statuses of the quick filters, in Temporal's UI order, with their list-filter names.</summary>
    public static readonly IReadOnlyList<(WorkflowExecutionStatus Status, string Name)> Statuses =
    [
        (WorkflowExecutionStatus.Running, "Running"),
        (WorkflowExecutionStatus.TimedOut, "TimedOut"),
        (WorkflowExecutionStatus.Completed, "Completed"),
        (WorkflowExecutionStatus.Failed, "Failed"),
        (WorkflowExecutionStatus.ContinuedAsNew, "ContinuedAsNew"),
        (WorkflowExecutionStatus.Canceled, "Canceled"),
        (WorkflowExecutionStatus.Terminated, "Terminated"),
    ];

    /// <summary>Reads a list filter as typed into the filter box.</summary>
    public static ListFilter Parse(string? query)
    {
        var text = (query ?? "").Trim();
        var order = OrderBy().Match(text);
        var body = order.Success ? text[..order.Index].Trim() : text;
        var orderText = order.Success ? order.Value.Trim() : "";
        var status = StatusSuffix().Match(body);
        if (status.Success && Statuses.Any(s => s.Name == status.Groups["status"].Value))
        {
            var rest = status.Groups["base"].Value.Trim();
            return new ListFilter(text, Unwrap(rest), status.Groups["status"].Value, orderText);
        }
        return new ListFilter(text, body, null, orderText);
    }

    /// <summary>The filter with the status quick filter set to <paramref name="status"/> (null: all statuses).</summary>
    public string WithStatus(string? status)
    {
        var body = status is null ? Base
            : Base.Length == 0 ? $"ExecutionStatus = '{status}'"
            : $"{Wrap(Base)} AND ExecutionStatus = '{status}'";
        return Order.Length == 0 ? body : $"{body} {Order}".Trim();
    }

    /// <summary><c>a OR b</c> becomes <c>(a OR b)</c> so the status condition applies to all of it.</summary>
    private static string Wrap(string condition) =>
        TopLevelOr().IsMatch(condition) && !IsWrapped(condition) ? $"({condition})" : condition;

    private static string Unwrap(string condition) =>
        IsWrapped(condition) && TopLevelOr().IsMatch(condition) ? condition[1..^1].Trim() : condition;

    /// <summary>Whether the whole condition is one parenthesised group (the first '(' closes at the end).</summary>
    private static bool IsWrapped(string condition)
    {
        if (condition.Length < 2 || condition[0] != '(' || condition[^1] != ')')
        {
            return false;
        }
        var depth = 0;
        for (var i = 0; i < condition.Length; i++)
        {
            depth += condition[i] switch { '(' => 1, ')' => -1, _ => 0 };
            if (depth == 0 && i < condition.Length - 1)
            {
                return false;
            }
        }
        return true;
    }

    [GeneratedRegex(@"\bORDER\s+BY\b.*$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex OrderBy();

    [GeneratedRegex(@"^(?:(?<base>.*?)\s+AND\s+)?ExecutionStatus\s*=\s*(['""])(?<status>\w+)\1$", RegexOptions.IgnoreCase | RegexOptions.Singleline)]
    private static partial Regex StatusSuffix();

    [GeneratedRegex(@"\bOR\b", RegexOptions.IgnoreCase)]
    private static partial Regex TopLevelOr();
}
