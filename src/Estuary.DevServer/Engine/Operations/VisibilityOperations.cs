using Estuary.DevServer.Grpc;
using Estuary.DevServer.Namespaces;
using Estuary.DevServer.Visibility;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Filter.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>
/// Visibility: list and count runs with Temporal's list filter (see <see cref="QueryParser"/>), evaluated over the
/// runs the namespace still holds (open runs and closed runs within retention), each as it is at the moment it is read.
/// </summary>
internal sealed class VisibilityOperations(DevServerEngine engine)
{
    /// <summary>Temporal's default and largest visibility page.</summary>
    private const int MaxVisibilityPageSize = 1000;

    public ListWorkflowExecutionsResponse ListWorkflowExecutions(ListWorkflowExecutionsRequest request)
    {
        var response = new ListWorkflowExecutionsResponse();
        response.NextPageToken = ListByQuery(request.Namespace, request.Query, request.PageSize, request.NextPageToken, response.Executions);
        return response;
    }

    /// <summary>Temporal's scan is a list without ordering guarantees; listing in the usual order is one.</summary>
    public ScanWorkflowExecutionsResponse ScanWorkflowExecutions(ScanWorkflowExecutionsRequest request)
    {
        var response = new ScanWorkflowExecutionsResponse();
        response.NextPageToken = ListByQuery(request.Namespace, request.Query, request.PageSize, request.NextPageToken, response.Executions);
        return response;
    }

    public CountWorkflowExecutionsResponse CountWorkflowExecutions(CountWorkflowExecutionsRequest request)
    {
        var ns = engine.Namespaces.Get(request.Namespace);
        var query = ParseQuery(request.Query);
        var response = new CountWorkflowExecutionsResponse();
        if (query.GroupBy is null)
        {
            response.Count = query.Filter is null ? ns.Visibility.Count : Records(ns).LongCount(query.Matches);
            return response;
        }
        // Without a filter the index's counts by status answer; with one, the matching runs are counted.
        var groups = query.Filter is null
            ? ns.Visibility.CountByStatus()
            : [.. Records(ns).Where(query.Matches).CountBy(record => record.Status).Select(group => (group.Key, (long)group.Value)).OrderBy(group => group.Key)];
        foreach (var (status, count) in groups)
        {
            response.Count += count;
            response.Groups.Add(new CountWorkflowExecutionsResponse.Types.AggregationGroup
            {
                GroupValues = { KeywordPayload(SystemSearchAttributes.StatusName(status)) },
                Count = count,
            });
        }
        return response;
    }

    public ListOpenWorkflowExecutionsResponse ListOpenWorkflowExecutions(ListOpenWorkflowExecutionsRequest request)
    {
        var response = new ListOpenWorkflowExecutionsResponse();
        var ns = engine.Namespaces.Get(request.Namespace);
        var (earliest, latest) = TimeRange(request.StartTimeFilter);
        bool Filter(RunVisibilityRecord run) =>
            run.Status == WorkflowExecutionStatus.Running
            && run.StartTime >= earliest && run.StartTime <= latest
            && MatchesExecutionOrType(run, request.ExecutionFilter, request.TypeFilter);
        response.NextPageToken = Page(ns, Filter, [], request.MaximumPageSize, request.NextPageToken, response.Executions);
        return response;
    }

    /// <summary>Closed runs; as in Temporal, the start time filter of this call bounds their close time.</summary>
    public ListClosedWorkflowExecutionsResponse ListClosedWorkflowExecutions(ListClosedWorkflowExecutionsRequest request)
    {
        var response = new ListClosedWorkflowExecutionsResponse();
        var ns = engine.Namespaces.Get(request.Namespace);
        var (earliest, latest) = TimeRange(request.StartTimeFilter);
        var status = request.StatusFilter?.Status ?? WorkflowExecutionStatus.Unspecified;
        bool Filter(RunVisibilityRecord run) =>
            run.CloseTime is { } closed && closed >= earliest && closed <= latest
            && (status == WorkflowExecutionStatus.Unspecified || run.Status == status)
            && MatchesExecutionOrType(run, request.ExecutionFilter, request.TypeFilter);
        response.NextPageToken = Page(ns, Filter, [], request.MaximumPageSize, request.NextPageToken, response.Executions);
        return response;
    }

    private static IEnumerable<RunVisibilityRecord> Records(NamespaceEntry ns) => ns.Runs.Values.Select(RunVisibilityRecord.Of);

    private ByteString ListByQuery(string namespaceName, string queryText, int pageSize, ByteString pageToken, ICollection<WorkflowExecutionInfo> into)
    {
        var ns = engine.Namespaces.Get(namespaceName);
        var query = ParseQuery(queryText);
        if (query.GroupBy is not null)
        {
            throw RpcErrors.InvalidArgument("invalid query: GROUP BY is supported only when counting workflows");
        }
        return Page(ns, query.Matches, query.OrderBy, pageSize, pageToken, into);
    }

    /// <summary>Fills one page of matching runs in list order and returns the token of the next page (empty after the last).</summary>
    private static ByteString Page(NamespaceEntry ns, Func<RunVisibilityRecord, bool> filter, IReadOnlyList<OrderByItem> orderBy,
        int pageSize, ByteString pageToken, ICollection<WorkflowExecutionInfo> into)
    {
        var size = pageSize <= 0 || pageSize > MaxVisibilityPageSize ? MaxVisibilityPageSize : pageSize;
        var cursor = pageToken.IsEmpty ? null : pageToken.ToByteArray();
        List<RunVisibilityRecord> page;
        byte[]? next;
        try
        {
            (page, next) = orderBy.Count == 0
                ? PageInDefaultOrder(ns, filter, size, cursor)
                : new VisibilityOrder(orderBy).Page(Records(ns).Where(filter), size, cursor);
        }
        catch (FormatException)
        {
            throw RpcErrors.InvalidArgument("invalid next page token: it does not come from this query");
        }
        foreach (var record in page)
        {
            into.Add(record.ToInfo());
        }
        return next is null ? ByteString.Empty : ByteString.CopyFrom(next);
    }

    /// <summary>
    /// A page of the default order, read from the namespace's index from the cursor on until the page is full, so it
    /// visits the runs before the page's end only (all of them only when few match).
    /// </summary>
    private static (List<RunVisibilityRecord> Page, byte[]? Next) PageInDefaultOrder(NamespaceEntry ns, Func<RunVisibilityRecord, bool> filter,
        int size, byte[]? cursor)
    {
        var after = cursor is null ? (RunPosition?)null : VisibilityOrder.ReadDefaultCursor(cursor);
        var page = new List<RunVisibilityRecord>(size);
        RunPosition last = default;
        foreach (var (position, run) in ns.Visibility.After(after))
        {
            var record = RunVisibilityRecord.Of(run);
            if (!filter(record))
            {
                continue;
            }
            if (page.Count == size)
            {
                return (page, VisibilityOrder.WriteDefaultCursor(last));
            }
            page.Add(record);
            last = position;
        }
        return (page, null);
    }

    private VisibilityQuery ParseQuery(string query)
    {
        try
        {
            return QueryParser.Parse(query, engine.Namespaces.SearchAttributeType);
        }
        catch (InvalidQueryException e)
        {
            throw RpcErrors.InvalidArgument($"invalid query: {e.Message}");
        }
    }

    private static (DateTime Earliest, DateTime Latest) TimeRange(StartTimeFilter? filter)
    {
        var earliest = filter?.EarliestTime?.ToDateTime() ?? DateTime.MinValue;
        var latest = filter?.LatestTime is { } given && given.ToDateTime() > DateTime.UnixEpoch ? given.ToDateTime() : DateTime.MaxValue;
        return (earliest, latest);
    }

    private static bool MatchesExecutionOrType(RunVisibilityRecord run, WorkflowExecutionFilter? execution, WorkflowTypeFilter? type) =>
        (execution is null || (run.Execution.WorkflowId == execution.WorkflowId && (execution.RunId.Length == 0 || run.Execution.RunId == execution.RunId)))
        && (type is null || run.WorkflowType == type.Name);

    /// <summary>A Keyword search attribute value as Temporal encodes it (JSON with the type in the metadata).</summary>
    private static Payload KeywordPayload(string value) => new()
    {
        Metadata =
        {
            ["encoding"] = ByteString.CopyFromUtf8("json/plain"),
            ["type"] = ByteString.CopyFromUtf8("Keyword"),
        },
        Data = ByteString.CopyFromUtf8(System.Text.Json.JsonSerializer.Serialize(value)),
    };
}
