using System.Collections.Concurrent;
using Estuary.DevServer.Grpc;
using Estuary.DevServer.Runs;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.ErrorDetails.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

/// <summary>
/// Queries: a QueryWorkflow call is handed to a worker of the run's task queue as a query task once the run can
/// answer it, and completes with the worker's RespondQueryTaskCompleted. Queries change nothing and are not stored.
/// </summary>
internal sealed class QueryRouter(DevServerEngine engine)
{
    private readonly ConcurrentDictionary<string, PendingQuery> _queries = new(StringComparer.Ordinal);

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
        var ns = engine.Namespaces.Get(request.Namespace);
        var run = DevServerEngine.GetRun(ns, request.Execution?.WorkflowId ?? "", request.Execution?.RunId);
        PendingQuery query;
        lock (run.Gate)
        {
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
            run.WorkflowTasks.ThrowIfFailing("Unable to query workflow due to Workflow Task in failed state.");
            query = new PendingQuery { Run = run, Query = request.Query };
            _queries[query.Id] = query;
            run.Queries.Add(query);
            Dispatch(run);
        }

        using var linked = engine.LinkToStopping(cancellationToken);
        var wait = deadline == DateTime.MaxValue ? Timeout.InfiniteTimeSpan : deadline - DateTime.UtcNow;
        try
        {
            return await query.Completion.Task.WaitAsync(wait > TimeSpan.Zero || wait == Timeout.InfiniteTimeSpan ? wait : TimeSpan.Zero, linked.Token);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            lock (run.Gate)
            {
                _queries.TryRemove(query.Id, out _);
                run.Queries.Remove(query);
                Release(query);
            }
            throw new RpcException(new Status(StatusCode.DeadlineExceeded, "No worker answered the query before the deadline."));
        }
    }

    /// <summary>Offers the run's oldest waiting query to its task queue once it can answer it (the next goes out after its answer). Under the run's lock.</summary>
    public void Dispatch(WorkflowRun run)
    {
        if (CanAnswer(run))
        {
            engine.Enqueue(run, run.TaskQueue);
        }
    }

    /// <summary>The query's task is no longer in a worker's hands (answered or abandoned): the next query may go out. Under the run's lock.</summary>
    private void Release(PendingQuery query)
    {
        query.Redelivery?.Dispose();
        query.Redelivery = null;
        if (query.Run.QueryInWorker == query)
        {
            query.Run.QueryInWorker = null;
            Dispatch(query.Run);
        }
    }

    /// <summary>
    /// No workflow task scheduled or running, no other query task out, and (while running) at least one completed
    /// workflow task, so a worker has state to query.
    /// </summary>
    private static bool CanAnswer(WorkflowRun run) =>
        run.Queries.Count > 0 && run.WorkflowTasks.Current is null && run.QueryInWorker is null && (!run.IsRunning || run.WorkflowTasks.CompletedCount > 0);

    /// <summary>The run's oldest waiting query as a query task, when the run can answer it. Under the run's lock.</summary>
    public PollWorkflowTaskQueueResponse? StartQueryTask(WorkflowRun run, string queueName)
    {
        if (queueName != run.TaskQueue || !CanAnswer(run))
        {
            return null;
        }
        var query = run.Queries[0];
        run.Queries.RemoveAt(0);
        run.QueryInWorker = query;
        query.Redelivery?.Dispose();
        query.Redelivery = engine.WallClock.CreateTimer(_ => Redeliver(query), null, QueryRedelivery, Timeout.InfiniteTimeSpan);
        var history = new Temporalio.Api.History.V1.History();
        history.Events.AddRange(run.History.Events);
        return new PollWorkflowTaskQueueResponse
        {
            TaskToken = query.TaskToken,
            WorkflowExecution = run.ToExecution(),
            WorkflowType = run.Started.WorkflowType,
            PreviousStartedEventId = run.WorkflowTasks.PreviousStartedEventId,
            StartedEventId = run.WorkflowTasks.PreviousStartedEventId,
            History = history,
            Query = query.Query,
            WorkflowExecutionTaskQueue = run.Started.TaskQueue,
        };
    }

    /// <summary>The worker holding the query's task has not answered in <see cref="QueryRedelivery"/>: offer it again, first in line.</summary>
    private void Redeliver(PendingQuery query)
    {
        var run = query.Run;
        lock (run.Gate)
        {
            if (run.QueryInWorker != query || query.Completion.Task.IsCompleted || !_queries.ContainsKey(query.Id))
            {
                return;
            }
            engine.Logger.LogDebug("Query {QueryType} of {WorkflowId} not answered in {Seconds} s: offered again", query.Query.QueryType, run.WorkflowId, QueryRedelivery.TotalSeconds);
            run.QueryInWorker = null;
            run.Queries.Insert(0, query);
            Dispatch(run);
        }
    }

    public RespondQueryTaskCompletedResponse RespondQueryTaskCompleted(RespondQueryTaskCompletedRequest request)
    {
        var id = PendingQuery.ParseTaskToken(request.TaskToken);
        engine.Namespaces.Get(request.Namespace);
        if (!_queries.TryRemove(id, out var query))
        {
            throw RpcErrors.NotFound("Query not found: it was answered already or its caller gave up.");
        }
        lock (query.Run.Gate)
        {
            Release(query);
        }
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
