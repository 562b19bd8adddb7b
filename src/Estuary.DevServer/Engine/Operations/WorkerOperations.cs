using Estuary.DevServer.Deployments;
using Estuary.DevServer.Grpc;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Estuary.DevServer.TaskQueues;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Deployment.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>Worker calls: task polls, workflow and activity task answers, heartbeats, worker shutdown.</summary>
internal sealed class WorkerOperations(DevServerEngine engine, PollerHistory pollers)
{
    public async Task<PollWorkflowTaskQueueResponse> PollWorkflowTaskQueueAsync(PollWorkflowTaskQueueRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.TaskQueue?.Name))
        {
            throw RpcErrors.InvalidArgument("TaskQueue is not set on request.");
        }
        var ns = engine.Namespaces.Get(request.Namespace).Name;
        var queueName = request.TaskQueue.Name;
        pollers.Record(ns, queueName, TaskQueueType.Workflow, request.Identity, null, request.DeploymentOptions, engine.Now);
        // A worker's sticky queue is its own: every task there is meant for it.
        var sticky = request.TaskQueue.Kind == TaskQueueKind.Sticky;
        if (!sticky)
        {
            await RecordDeploymentAsync(ns, queueName, TaskQueueType.Workflow, request.DeploymentOptions);
        }
        return await PollAsync(engine.WorkflowQueue(ns, queueName), () => engine.WorkflowQueue(ns, queueName), ns, request.Identity,
            WorkerVersion.Of(request.DeploymentOptions), sticky, deadline, cancellationToken)
            ?? new PollWorkflowTaskQueueResponse();
    }

    public async Task<PollActivityTaskQueueResponse> PollActivityTaskQueueAsync(PollActivityTaskQueueRequest request, DateTime deadline, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(request.TaskQueue?.Name))
        {
            throw RpcErrors.InvalidArgument("TaskQueue is not set on request.");
        }
        var ns = engine.Namespaces.Get(request.Namespace).Name;
        var queueName = request.TaskQueue.Name;
        pollers.Record(ns, queueName, TaskQueueType.Activity, request.Identity, request.TaskQueueMetadata?.MaxTasksPerSecond,
            request.DeploymentOptions, engine.Now);
        await RecordDeploymentAsync(ns, queueName, TaskQueueType.Activity, request.DeploymentOptions);
        return await PollAsync(engine.ActivityQueue(ns, queueName), () => engine.ActivityQueue(ns, queueName), ns, request.Identity,
            WorkerVersion.Of(request.DeploymentOptions), false, deadline, cancellationToken)
            ?? new PollActivityTaskQueueResponse();
    }

    /// <summary>A versioned worker's poll creates its deployment and version, and adds the queue to the version (stored before the poll waits).</summary>
    private async Task RecordDeploymentAsync(string ns, string queueName, TaskQueueType type, WorkerDeploymentOptions? options)
    {
        if (WorkerVersion.Of(options) is null)
        {
            return;
        }
        await engine.ChangeAsync(() =>
        {
            if (engine.Deployments.RecordPoller(ns, queueName, type, options, engine.Now))
            {
                engine.Changes.TouchDeployments();
            }
            return true;
        });
    }

    /// <summary>
    /// Takes a task from the queue's backlog, or holds the poll until one is handed to it or it is time to answer
    /// empty; a started task is answered once its start is stored.
    /// </summary>
    private async Task<TResponse?> PollAsync<TTask, TResponse>(TaskQueue<TTask, TResponse> queue, Func<TaskQueue<TTask, TResponse>> currentQueue,
        string ns, string identity, WorkerVersion? version, bool anyVersion, DateTime deadline, CancellationToken cancellationToken)
        where TTask : class
        where TResponse : class
    {
        TaskQueue<TTask, TResponse>.Poller? poller = null;
        var response = await engine.ChangeAsync(() => queue.TakeOrWait(identity, version, anyVersion, out poller));
        if (response is not null)
        {
            return response;
        }
        using var linked = engine.LinkToStopping(cancellationToken);
        TTask? task;
        try
        {
            task = await poller!.Completion.Task.WaitAsync(engine.HoldTime(deadline), linked.Token);
        }
        catch (Exception e) when (e is TimeoutException or OperationCanceledException)
        {
            if (poller!.Queue.Remove(poller))
            {
                engine.RetireIfIdle(poller.Queue, ns);
                return null;
            }
            // A task was handed to this poll just as it gave up.
            task = await poller.Completion.Task;
        }
        if (task is null)
        {
            return null;
        }
        return await engine.ChangeAsync(() =>
        {
            if (linked.IsCancellationRequested)
            {
                // The caller is gone: the next poll gets the task instead of it being lost with this call.
                while (!currentQueue().TryAdd(task))
                {
                }
                return null;
            }
            return poller.Queue.Start(task, poller.Identity);
        });
    }

    private (WorkflowRun Run, TaskToken Token) RunOf(ByteString tokenBytes, string requestNamespace)
    {
        var token = TaskToken.Parse(tokenBytes);
        var ns = engine.Namespaces.Get(string.IsNullOrEmpty(requestNamespace) ? token.Namespace : requestNamespace);
        return ns.Runs.TryGetValue(token.RunId, out var run) ? (run, token) : throw RpcErrors.NotFound("Workflow task not found.");
    }

    private static WorkflowTask StartedWorkflowTask(WorkflowRun run, TaskToken token) =>
        run.WorkflowTasks.Find(token) ?? throw RpcErrors.NotFound("Workflow task not found.");

    public Task<RespondWorkflowTaskCompletedResponse> RespondWorkflowTaskCompletedAsync(RespondWorkflowTaskCompletedRequest request) =>
        engine.ChangeAsync(() =>
        {
            var (run, token) = RunOf(request.TaskToken, request.Namespace);
            return engine.Change(run, () =>
            {
                var task = StartedWorkflowTask(run, token);
                var response = new RespondWorkflowTaskCompletedResponse();
                WorkflowTaskCompletion.Apply(run, task, request, response);
                return response;
            });
        });

    public Task<RespondWorkflowTaskFailedResponse> RespondWorkflowTaskFailedAsync(RespondWorkflowTaskFailedRequest request) =>
        engine.ChangeAsync(() =>
        {
            var (run, token) = RunOf(request.TaskToken, request.Namespace);
            return engine.Change(run, () =>
            {
                run.WorkflowTasks.Fail(StartedWorkflowTask(run, token), request.Cause, request.Failure, request.Identity);
                return new RespondWorkflowTaskFailedResponse();
            });
        });

    public Task<ShutdownWorkerResponse> ShutdownWorkerAsync(ShutdownWorkerRequest request) =>
        engine.ChangeAsync(() =>
        {
            var ns = engine.Namespaces.Get(request.Namespace);
            if (string.IsNullOrEmpty(request.StickyTaskQueue))
            {
                return new ShutdownWorkerResponse();
            }
            foreach (var run in engine.ShutDownStickyQueue(ns.Name, request.StickyTaskQueue))
            {
                engine.Change(run, () =>
                {
                    if (run.WorkflowTasks.Current is { } task)
                    {
                        run.WorkflowTasks.StickyNotPickedUp(task);
                    }
                    return true;
                });
            }
            return new ShutdownWorkerResponse();
        });

    /// <summary>Runs <paramref name="change"/> on the started activity a task token names (NotFound when it is not in a worker's hands).</summary>
    private Task<T> ChangeActivity<T>(ByteString tokenBytes, string requestNamespace, Func<ActivityLifecycle, T> change) =>
        engine.ChangeAsync(() =>
        {
            var token = TaskToken.Parse(tokenBytes);
            var ns = engine.Namespaces.Get(string.IsNullOrEmpty(requestNamespace) ? token.Namespace : requestNamespace);
            if (!ns.Runs.TryGetValue(token.RunId, out var run))
            {
                throw RpcErrors.NotFound("Activity task not found.");
            }
            return engine.Change(run, () =>
            {
                if (!run.IsRunning || !run.Activities.TryGetValue(token.ScheduledEventId, out var activity)
                    || activity.Attempt != token.Attempt || activity.Status != ActivityStatus.Started)
                {
                    throw RpcErrors.NotFound("Activity task not found.");
                }
                return change(activity);
            });
        });

    /// <summary>Runs <paramref name="change"/> on the started activity of a run named by its activity id.</summary>
    private Task<T> ChangeActivityById<T>(string namespaceName, string workflowId, string runId, string activityId, Func<ActivityLifecycle, T> change)
    {
        if (string.IsNullOrEmpty(activityId))
        {
            throw RpcErrors.InvalidArgument("ActivityId is not set on request.");
        }
        return engine.ChangeAsync(() =>
        {
            var run = DevServerEngine.GetRun(engine.Namespaces.Get(namespaceName), workflowId, runId);
            return engine.Change(run, () =>
            {
                var activity = run.IsRunning ? run.Activities.Values.FirstOrDefault(a => a.Attributes.ActivityId == activityId) : null;
                if (activity is null || activity.Status != ActivityStatus.Started)
                {
                    throw RpcErrors.NotFound("Activity task not found.");
                }
                return change(activity);
            });
        });
    }

    private static Failure FailureOf(Failure? failure) => failure ?? new Failure { Message = "activity failed" };

    public Task<RespondActivityTaskCompletedResponse> RespondActivityTaskCompletedAsync(RespondActivityTaskCompletedRequest request) =>
        ChangeActivity(request.TaskToken, request.Namespace, activity =>
        {
            activity.Complete(request.Result, request.Identity);
            return new RespondActivityTaskCompletedResponse();
        });

    public Task<RespondActivityTaskCompletedByIdResponse> RespondActivityTaskCompletedByIdAsync(RespondActivityTaskCompletedByIdRequest request) =>
        ChangeActivityById(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId, activity =>
        {
            activity.Complete(request.Result, request.Identity);
            return new RespondActivityTaskCompletedByIdResponse();
        });

    public Task<RespondActivityTaskFailedResponse> RespondActivityTaskFailedAsync(RespondActivityTaskFailedRequest request) =>
        ChangeActivity(request.TaskToken, request.Namespace, activity =>
        {
            activity.Fail(FailureOf(request.Failure), request.LastHeartbeatDetails, request.Identity);
            return new RespondActivityTaskFailedResponse();
        });

    public Task<RespondActivityTaskFailedByIdResponse> RespondActivityTaskFailedByIdAsync(RespondActivityTaskFailedByIdRequest request) =>
        ChangeActivityById(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId, activity =>
        {
            activity.Fail(FailureOf(request.Failure), request.LastHeartbeatDetails, request.Identity);
            return new RespondActivityTaskFailedByIdResponse();
        });

    public Task<RespondActivityTaskCanceledResponse> RespondActivityTaskCanceledAsync(RespondActivityTaskCanceledRequest request) =>
        ChangeActivity(request.TaskToken, request.Namespace, activity =>
        {
            activity.Cancel(request.Details, request.Identity);
            return new RespondActivityTaskCanceledResponse();
        });

    public Task<RespondActivityTaskCanceledByIdResponse> RespondActivityTaskCanceledByIdAsync(RespondActivityTaskCanceledByIdRequest request) =>
        ChangeActivityById(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId, activity =>
        {
            activity.Cancel(request.Details, request.Identity);
            return new RespondActivityTaskCanceledByIdResponse();
        });

    public Task<RecordActivityTaskHeartbeatResponse> RecordActivityTaskHeartbeatAsync(RecordActivityTaskHeartbeatRequest request) =>
        ChangeActivity(request.TaskToken, request.Namespace, activity => Heartbeat(activity, request.Details,
            activity => new RecordActivityTaskHeartbeatResponse
            {
                CancelRequested = activity.CancelRequested,
                ActivityPaused = activity.Paused,
                ActivityReset = activity.ResetRequested,
            }));

    public Task<RecordActivityTaskHeartbeatByIdResponse> RecordActivityTaskHeartbeatByIdAsync(RecordActivityTaskHeartbeatByIdRequest request) =>
        ChangeActivityById(request.Namespace, request.WorkflowId, request.RunId, request.ActivityId, activity => Heartbeat(activity, request.Details,
            activity => new RecordActivityTaskHeartbeatByIdResponse
            {
                CancelRequested = activity.CancelRequested,
                ActivityPaused = activity.Paused,
                ActivityReset = activity.ResetRequested,
            }));

    /// <summary>Records a heartbeat; the answer tells the attempt whether it was cancelled, paused or reset meanwhile.</summary>
    private static T Heartbeat<T>(ActivityLifecycle activity, Payloads? details, Func<ActivityLifecycle, T> response)
    {
        activity.Heartbeat(details);
        return response(activity);
    }
}
