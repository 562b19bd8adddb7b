using Estuary.DevServer.Grpc;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Runs.Lifecycles;
using Temporalio.Api.Common.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>
/// An operator's calls on a workflow's pending activities: pause, unpause, reset and change their options. Each names
/// its activities by activity id, by activity type (every pending one of that type) or all of them.
/// </summary>
internal sealed class ActivityOperations(DevServerEngine engine)
{
    public Task<PauseActivityResponse> PauseActivityAsync(PauseActivityRequest request) =>
        ChangeActivities(request.Namespace, request.Execution, Selector.Of(request.HasId ? request.Id : null, request.HasType ? request.Type : null, false),
            activities =>
            {
                foreach (var activity in activities)
                {
                    activity.Pause(request.Identity, request.Reason);
                }
                return new PauseActivityResponse();
            });

    public Task<UnpauseActivityResponse> UnpauseActivityAsync(UnpauseActivityRequest request) =>
        ChangeActivities(request.Namespace, request.Execution,
            Selector.Of(request.HasId ? request.Id : null, request.HasType ? request.Type : null, request.HasUnpauseAll && request.UnpauseAll),
            activities =>
            {
                foreach (var activity in activities)
                {
                    activity.Unpause(request.ResetAttempts, request.ResetHeartbeat, request.Jitter?.ToTimeSpan() ?? TimeSpan.Zero);
                }
                return new UnpauseActivityResponse();
            });

    public Task<ResetActivityResponse> ResetActivityAsync(ResetActivityRequest request) =>
        ChangeActivities(request.Namespace, request.Execution,
            Selector.Of(request.HasId ? request.Id : null, request.HasType ? request.Type : null, request.HasMatchAll && request.MatchAll),
            activities =>
            {
                foreach (var activity in activities)
                {
                    activity.Reset(request.ResetHeartbeat, request.KeepPaused, request.Jitter?.ToTimeSpan() ?? TimeSpan.Zero, request.RestoreOriginalOptions);
                }
                return new ResetActivityResponse();
            });

    public Task<UpdateActivityOptionsResponse> UpdateActivityOptionsAsync(UpdateActivityOptionsRequest request)
    {
        var paths = request.UpdateMask?.Paths.ToList() ?? [];
        if (!request.RestoreOriginal && paths.Count == 0)
        {
            throw RpcErrors.InvalidArgument("UpdateMask is not set on request: it must name the activity options to change.");
        }
        return ChangeActivities(request.Namespace, request.Execution,
            Selector.Of(request.HasId ? request.Id : null, request.HasType ? request.Type : null, request.HasMatchAll && request.MatchAll),
            activities =>
            {
                // Every activity's new options are checked before any changes, so a bad request changes nothing.
                var updated = activities.Select(a => a.WithOptions(request.ActivityOptions, paths, request.RestoreOriginal)).ToList();
                if (updated.FirstOrDefault(u => u.Error is not null).Error is { } invalid)
                {
                    throw RpcErrors.InvalidArgument(invalid);
                }
                for (var i = 0; i < activities.Count; i++)
                {
                    activities[i].ApplyOptions(updated[i].Options!);
                }
                return new UpdateActivityOptionsResponse { ActivityOptions = activities[0].CurrentOptions() };
            });
    }

    /// <summary>Runs <paramref name="change"/> on the run's pending activities the request names, under the run's lock.</summary>
    private Task<T> ChangeActivities<T>(string namespaceName, WorkflowExecution? execution, Selector selector, Func<List<ActivityLifecycle>, T> change) =>
        engine.ChangeAsync(() =>
        {
            var run = DevServerEngine.GetRun(engine.Namespaces.Get(namespaceName), execution?.WorkflowId ?? "", execution?.RunId);
            return engine.Change(run, () =>
            {
                if (!run.IsRunning)
                {
                    throw RpcErrors.NotFound("workflow execution already completed");
                }
                var activities = run.Activities.Values.Where(selector.Matches).ToList();
                if (activities.Count == 0)
                {
                    throw RpcErrors.NotFound(selector.NotFoundMessage);
                }
                return change(activities);
            });
        });

    /// <summary>Which pending activities a request names.</summary>
    private sealed record Selector(string? Id, string? Type)
    {
        public static Selector Of(string? id, string? type, bool all)
        {
            if (!string.IsNullOrEmpty(id))
            {
                return new Selector(id, null);
            }
            if (!string.IsNullOrEmpty(type))
            {
                return new Selector(null, type);
            }
            return all ? new Selector(null, null) : throw RpcErrors.InvalidArgument("Either activity id or activity type must be provided.");
        }

        public bool Matches(ActivityLifecycle activity) =>
            (Id is null || activity.Attributes.ActivityId == Id) && (Type is null || activity.Attributes.ActivityType.Name == Type);

        public string NotFoundMessage => Id is not null
            ? $"Activity with ID '{Id}' is not pending."
            : Type is not null ? $"No pending activity of type '{Type}'." : "The workflow has no pending activities.";
    }
}
