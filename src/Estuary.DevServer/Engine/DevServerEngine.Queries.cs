using Estuary.DevServer.Grpc;
using Estuary.DevServer.State;
using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    private readonly Dictionary<string, PendingQuery> _queries = new(StringComparer.Ordinal);

    /// <summary>
    /// How long a query task may stay in a worker's hands unanswered before the query is offered again. The SDK
    /// worker can drop a query task without answering (seen for overlapping ones, and now and then around a run that
    /// continues as new); as only one query task of a run is out at a time, one dropped task would otherwise hold
    /// every later query of the run until its caller's deadline. Offering it again is safe: a query changes nothing,
    /// and the first answer wins.
    /// </summary>
    internal static readonly TimeSpan QueryRedelivery = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Hands a query to a worker of the run's task queue and waits for the answer. Queries go out only while the run
    /// has no workflow task scheduled or running, so the answer reflects every event written before the query.
    /// </summary>
    public async Task<QueryWorkflowResponse> QueryWorkflowAsync(QueryWorkflowRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.Query?.QueryType))
        {
            throw RpcErrors.InvalidArgument("QueryType is not set on request.");
        }
        PendingQuery query;
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
            var run = GetRun(ns, request.Execution?.WorkflowId ?? "", request.Execution?.RunId);
            var rejected = request.QueryRejectCondition switch
            {
                QueryRejectCondition.NotOpen => !run.IsRunning,
                QueryRejectCondition.NotCompletedCleanly => run.Status != WorkflowExecutionStatus.Running && run.Status != WorkflowExecutionStatus.Completed,
                _ => false,
            };
            if (rejected)
            {
                return new QueryWorkflowResponse { QueryRejected = new QueryRejected { Status = run.Status } };
            }
            ThrowIfWorkflowTaskFailing(run, "Unable to query workflow due to Workflow Task in failed state.");
            query = new PendingQuery { Run = run, Query = request.Query };
            _queries[query.Id] = query;
            run.Queries.Add(query);
            DispatchQueries(run);
        }

        using var linked = LinkToStopping(cancellationToken);
        var wait = deadline == DateTime.MaxValue ? Timeout.InfiniteTimeSpan : deadline - DateTime.UtcNow;
        try
        {
            return await query.Completion.Task.WaitAsync(wait > TimeSpan.Zero || wait == Timeout.InfiniteTimeSpan ? wait : TimeSpan.Zero, linked.Token);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (_gate)
            {
                _queries.Remove(query.Id);
                query.Run.Queries.Remove(query);
                ReleaseQueryTask(query);
            }
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "No worker answered the query before the deadline."));
        }
    }

    /// <summary>Offers the run's oldest waiting query to its task queue once it can answer it (the next goes out after its answer).</summary>
    private void DispatchQueries(WorkflowRun run)
    {
        if (CanAnswerQueries(run))
        {
            WorkflowQueue(run.Namespace.Name, run.TaskQueue).Add(run);
        }
    }

    /// <summary>The query's task is no longer in a worker's hands (answered or abandoned): the next query may go out.</summary>
    private void ReleaseQueryTask(PendingQuery query)
    {
        query.Redelivery?.Dispose();
        query.Redelivery = null;
        if (query.Run.QueryInWorker == query)
        {
            query.Run.QueryInWorker = null;
            DispatchQueries(query.Run);
        }
    }

    /// <summary>
    /// No workflow task scheduled or running, no other query task out, and (while running) at least one completed
    /// workflow task, so a worker has state to query.
    /// </summary>
    private static bool CanAnswerQueries(WorkflowRun run) =>
        run.Queries.Count > 0 && run.WorkflowTask is null && run.QueryInWorker is null && (!run.IsRunning || run.CompletedWorkflowTasks > 0);

    /// <summary>The run's oldest waiting query as a query task, when the run can answer it.</summary>
    private PollWorkflowTaskQueueResponse? StartQueryTask(WorkflowRun run, string queueName)
    {
        if (queueName != run.TaskQueue || !CanAnswerQueries(run))
        {
            return null;
        }
        var query = run.Queries[0];
        run.Queries.RemoveAt(0);
        run.QueryInWorker = query;
        query.Redelivery?.Dispose();
        query.Redelivery = _wallClock.CreateTimer(_ => RedeliverQuery(query), null, QueryRedelivery, Timeout.InfiniteTimeSpan);
        var history = new Temporalio.Api.History.V1.History();
        history.Events.AddRange(run.History.Events);
        return new PollWorkflowTaskQueueResponse
        {
            TaskToken = query.TaskToken,
            WorkflowExecution = run.ToExecution(),
            WorkflowType = run.Started.WorkflowType,
            PreviousStartedEventId = run.PreviousStartedEventId,
            StartedEventId = run.PreviousStartedEventId,
            History = history,
            Query = query.Query,
            WorkflowExecutionTaskQueue = run.Started.TaskQueue,
        };
    }

    /// <summary>The worker holding the query's task has not answered in <see cref="QueryRedelivery"/>: offer it again, first in line.</summary>
    private void RedeliverQuery(PendingQuery query)
    {
        lock (_gate)
        {
            if (query.Run.QueryInWorker != query || query.Completion.Task.IsCompleted || !_queries.ContainsKey(query.Id))
            {
                return;
            }
            _logger.LogDebug("Query {QueryType} of {WorkflowId} not answered in {Seconds} s: offered again", query.Query.QueryType, query.Run.WorkflowId, QueryRedelivery.TotalSeconds);
            query.Run.QueryInWorker = null;
            query.Run.Queries.Insert(0, query);
            DispatchQueries(query.Run);
        }
    }

    public RespondQueryTaskCompletedResponse RespondQueryTaskCompleted(RespondQueryTaskCompletedRequest request)
    {
        var id = PendingQuery.ParseTaskToken(request.TaskToken);
        lock (_gate)
        {
            GetNamespace(request.Namespace);
            if (!_queries.Remove(id, out var query))
            {
                throw RpcErrors.NotFound("Query not found: it was answered already or its caller gave up.");
            }
            ReleaseQueryTask(query);
            if (request.CompletedType == QueryResultType.Answered)
            {
                query.Completion.TrySetResult(new QueryWorkflowResponse { QueryResult = request.QueryResult });
            }
            else
            {
                query.Completion.TrySetException(RpcErrors.WithDetail(StatusCode.InvalidArgument, request.ErrorMessage, new QueryFailedFailure { Failure = request.Failure }));
            }
            return new RespondQueryTaskCompletedResponse();
        }
    }
}
