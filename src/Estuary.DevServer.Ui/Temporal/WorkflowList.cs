using Estuary.DevServer.Ui.Rendering;
using System.Buffers.Text;
using Google.Protobuf;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Exceptions;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>One page of a namespace's workflows; and the counts by status of a filter, which the page loads after it is shown.</summary>
public sealed class WorkflowList
{
    /// <summary>Rows per page unless the URL asks for another size.</summary>
    public const int DefaultPageSize = 50;

    /// <summary>Largest page the UI asks for.</summary>
    public const int MaxPageSize = 1000;

    /// <summary>The namespace listed.</summary>
    public required string Namespace { get; init; }

    /// <summary>The list filter, as typed and as the quick filters read it.</summary>
    public required ListFilter Filter { get; init; }

    /// <summary>Rows per page.</summary>
    public int PageSize { get; init; }

    /// <summary>Whether this is a later page (reached through a page token).</summary>
    public bool IsLaterPage { get; init; }

    /// <summary>The page's workflows, in the server's order (newest first unless the filter orders them).</summary>
    public IReadOnlyList<WorkflowExecutionInfo> Executions { get; init; } = [];

    /// <summary>The token of the next page, base64url; null on the last page.</summary>
    public string? NextPage { get; init; }

    /// <summary>The server's message when the filter is invalid (shown next to the filter box).</summary>
    public string? FilterError { get; init; }

    /// <summary>Every namespace of the server, for the switcher.</summary>
    public IReadOnlyList<string> Namespaces { get; init; } = [];

    /// <summary>Lists one page with <c>ListWorkflowExecutions</c>, paged by the server's token, so any page costs the same.</summary>
    internal static async Task<WorkflowList> LoadAsync(
        TemporalGateway temporal, string ns, string? query, string? pageToken, int pageSize, CancellationToken ct)
    {
        var filter = ListFilter.Parse(query);
        var token = DecodeToken(pageToken);
        var list = temporal.Service.ListWorkflowExecutionsAsync(
            new ListWorkflowExecutionsRequest { Namespace = ns, Query = filter.Query, PageSize = pageSize, NextPageToken = token },
            TemporalGateway.Call(ct));
        var namespaces = temporal.Service.ListNamespacesAsync(new ListNamespacesRequest { PageSize = 100 }, TemporalGateway.Call(ct));
        ListWorkflowExecutionsResponse response;
        try
        {
            response = await list;
        }
        catch (RpcException e) when (TemporalErrors.IsInvalidArgument(e))
        {
            await Quietly(namespaces);
            return new WorkflowList
            {
                Namespace = ns,
                Filter = filter,
                PageSize = pageSize,
                FilterError = e.Message,
                Namespaces = NamesOf(namespaces),
            };
        }
        await Quietly(namespaces);
        return new WorkflowList
        {
            Namespace = ns,
            Filter = filter,
            PageSize = pageSize,
            IsLaterPage = !token.IsEmpty,
            Executions = response.Executions,
            NextPage = response.NextPageToken.IsEmpty ? null : Base64Url.EncodeToString(response.NextPageToken.Span),
            Namespaces = NamesOf(namespaces),
        };
    }

    /// <summary>
    /// Counts the workflows of <paramref name="query"/>'s base (without its status condition) by status: one
    /// <c>CountWorkflowExecutions … GROUP BY ExecutionStatus</c>, or one count per status where the server does not group.
    /// Answers the counts, or null and the server's message.
    /// </summary>
    internal static async Task<(IReadOnlyDictionary<WorkflowExecutionStatus, long>? Counts, string? Error)> CountAsync(
        TemporalGateway temporal, string ns, string? query, CancellationToken ct)
    {
        var baseQuery = ListFilter.Parse(query).Base;
        var grouped = string.IsNullOrWhiteSpace(baseQuery) ? "GROUP BY ExecutionStatus" : $"{baseQuery} GROUP BY ExecutionStatus";
        try
        {
            var response = await temporal.Service.CountWorkflowExecutionsAsync(
                new CountWorkflowExecutionsRequest { Namespace = ns, Query = grouped }, TemporalGateway.Call(ct));
            var counts = ListFilter.Statuses.ToDictionary(s => s.Status, _ => 0L);
            foreach (var group in response.Groups)
            {
                if (group.GroupValues.Count == 1 && PayloadRenderer.TryDecode(group.GroupValues[0], out var value)
                    && value?.GetValue<string>() is { } name
                    && ListFilter.Statuses.FirstOrDefault(s => s.Name == name) is { Name: not null } status)
                {
                    counts[status.Status] = group.Count;
                }
            }
            return (counts, null);
        }
        catch (RpcException e) when (TemporalErrors.IsUnsupported(e))
        {
            // A server without GROUP BY: one count per status.
            try
            {
                var perStatus = await Task.WhenAll(ListFilter.Statuses.Select(async s =>
                {
                    var condition = string.IsNullOrWhiteSpace(baseQuery)
                        ? $"ExecutionStatus = '{s.Name}'"
                        : $"({baseQuery}) AND ExecutionStatus = '{s.Name}'";
                    var count = await temporal.Service.CountWorkflowExecutionsAsync(
                        new CountWorkflowExecutionsRequest { Namespace = ns, Query = condition }, TemporalGateway.Call(ct));
                    return (s.Status, count.Count);
                }));
                return (perStatus.ToDictionary(c => c.Status, c => c.Count), null);
            }
            catch (RpcException inner)
            {
                return (null, inner.Message);
            }
        }
        catch (RpcException e)
        {
            return (null, e.Message);
        }
    }

    /// <summary>The server's page token from the URL; an unreadable one starts from the first page.</summary>
    private static ByteString DecodeToken(string? pageToken)
    {
        if (string.IsNullOrEmpty(pageToken))
        {
            return ByteString.Empty;
        }
        try
        {
            return ByteString.CopyFrom(Base64Url.DecodeFromChars(pageToken));
        }
        catch (FormatException)
        {
            return ByteString.Empty;
        }
    }

    private static IReadOnlyList<string> NamesOf(Task<ListNamespacesResponse> namespaces) =>
        namespaces.IsCompletedSuccessfully
            ? [.. namespaces.Result.Namespaces.Select(n => n.NamespaceInfo.Name).Order(StringComparer.Ordinal)]
            : [];

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (Exception e) when (e is RpcException or OperationCanceledException)
        {
            // Reported by the caller through the task's state.
        }
    }
}
