using System.Globalization;
using System.Text;
using Estuary.DevServer.Grpc;
using Estuary.DevServer.Runs;
using Estuary.DevServer.Schedules;
using Estuary.DevServer.Visibility;
using Google.Protobuf;
using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Schedule.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>
/// The schedule calls: create, describe, update, patch (trigger, backfill, pause, unpause), list and count (with the
/// schedule list filter), matching times, delete. Each change runs under the schedule's lock in a unit of change.
/// </summary>
internal sealed class ScheduleOperations(DevServerEngine engine)
{
    private const int MaxPageSize = 1000;

    private ScheduleEngine Schedules => engine.Schedules;

    public Task<CreateScheduleResponse> CreateScheduleAsync(CreateScheduleRequest request) =>
        engine.ChangeAsync(() =>
        {
            var ns = engine.Namespaces.Get(request.Namespace);
            RequireId(request.ScheduleId);
            var spec = Validate(request.Schedule);
            engine.Namespaces.ValidateSearchAttributes(request.SearchAttributes);
            if (request.InitialPatch is { } patch)
            {
                Validate(patch);
            }
            if (Schedules.Find(ns.Name, request.ScheduleId) is { } existing)
            {
                lock (existing.Gate)
                {
                    // The same create sent again (a client's retry) gets the schedule it created.
                    if (!existing.IsDeleted && request.RequestId.Length > 0 && existing.CreateRequestId == request.RequestId)
                    {
                        return new CreateScheduleResponse { ConflictToken = existing.Describe().ConflictToken };
                    }
                }
                throw AlreadyExists(request.ScheduleId);
            }
            var created = ScheduleLifecycle.Create(Schedules, ns.Name, ns.Id, request.ScheduleId, request.Schedule, spec,
                request.Memo, request.SearchAttributes, request.RequestId);
            lock (created.Gate)
            {
                if (!Schedules.TryAdd(created))
                {
                    throw AlreadyExists(request.ScheduleId);
                }
                created.Begin(request.InitialPatch);
                return new CreateScheduleResponse { ConflictToken = created.Describe().ConflictToken };
            }
        });

    public DescribeScheduleResponse DescribeSchedule(DescribeScheduleRequest request) =>
        OnSchedule(request.Namespace, request.ScheduleId, schedule => schedule.Describe());

    public Task<UpdateScheduleResponse> UpdateScheduleAsync(UpdateScheduleRequest request) =>
        engine.ChangeAsync(() =>
        {
            var spec = Validate(request.Schedule);
            engine.Namespaces.ValidateSearchAttributes(request.SearchAttributes);
            return OnSchedule(request.Namespace, request.ScheduleId, schedule =>
            {
                schedule.Update(request.Schedule, spec, request.ConflictToken, request.SearchAttributes, request.Memo);
                return new UpdateScheduleResponse();
            });
        });

    public Task<PatchScheduleResponse> PatchScheduleAsync(PatchScheduleRequest request) =>
        engine.ChangeAsync(() =>
        {
            var patch = request.Patch ?? throw RpcErrors.InvalidArgument("Patch is not set on request.");
            Validate(patch);
            return OnSchedule(request.Namespace, request.ScheduleId, schedule =>
            {
                schedule.Patch(patch);
                return new PatchScheduleResponse();
            });
        });

    public Task<DeleteScheduleResponse> DeleteScheduleAsync(DeleteScheduleRequest request) =>
        engine.ChangeAsync(() => OnSchedule(request.Namespace, request.ScheduleId, schedule =>
        {
            Schedules.Remove(schedule);
            return new DeleteScheduleResponse();
        }));

    public ListScheduleMatchingTimesResponse ListScheduleMatchingTimes(ListScheduleMatchingTimesRequest request)
    {
        if (request.StartTime is null || request.EndTime is null)
        {
            throw RpcErrors.InvalidArgument("StartTime and EndTime are both required.");
        }
        return OnSchedule(request.Namespace, request.ScheduleId, schedule => new ListScheduleMatchingTimesResponse
        {
            StartTime = { schedule.MatchingTimes(request.StartTime.ToDateTime(), request.EndTime.ToDateTime()) },
        });
    }

    /// <summary>Schedules matching the filter, newest first (ties by id), a page at a time.</summary>
    public ListSchedulesResponse ListSchedules(ListSchedulesRequest request)
    {
        var ns = engine.Namespaces.Get(request.Namespace);
        var query = ParseQuery(request.Query);
        var size = request.MaximumPageSize <= 0 || request.MaximumPageSize > MaxPageSize ? MaxPageSize : request.MaximumPageSize;
        var after = request.NextPageToken.IsEmpty ? ((long Ticks, string Id)?)null : ReadPageToken(request.NextPageToken);
        var matching = Matching(ns.Name, query)
            .OrderByDescending(m => m.Record.CreateTime).ThenBy(m => m.Record.ScheduleId, StringComparer.Ordinal)
            .Where(m => after is not { } position
                || m.Record.CreateTime.Ticks < position.Ticks
                || (m.Record.CreateTime.Ticks == position.Ticks && string.CompareOrdinal(m.Record.ScheduleId, position.Id) > 0))
            .Take(size + 1)
            .ToList();
        var response = new ListSchedulesResponse();
        response.Schedules.Add(matching.Take(size).Select(m => m.Entry));
        if (matching.Count > size)
        {
            var last = matching[size - 1].Record;
            response.NextPageToken = ByteString.CopyFromUtf8(string.Create(CultureInfo.InvariantCulture, $"{last.CreateTime.Ticks}\n{last.ScheduleId}"));
        }
        return response;
    }

    public CountSchedulesResponse CountSchedules(CountSchedulesRequest request)
    {
        var ns = engine.Namespaces.Get(request.Namespace);
        return new CountSchedulesResponse { Count = Matching(ns.Name, ParseQuery(request.Query)).Count };
    }

    private List<(ScheduleVisibilityRecord Record, ScheduleListEntry Entry)> Matching(string namespaceName, VisibilityQuery query)
    {
        var matching = new List<(ScheduleVisibilityRecord, ScheduleListEntry)>();
        foreach (var schedule in Schedules.In(namespaceName))
        {
            lock (schedule.Gate)
            {
                var record = ScheduleVisibilityRecord.Of(schedule);
                if (!schedule.IsDeleted && query.Matches(record))
                {
                    matching.Add((record, schedule.ListEntry()));
                }
            }
        }
        return matching;
    }

    private VisibilityQuery ParseQuery(string text)
    {
        VisibilityQuery query;
        try
        {
            query = QueryParser.Parse(text, name =>
                ScheduleVisibilityRecord.SystemAttributes.TryGetValue(name, out var system) ? system
                : engine.Namespaces.SearchAttributes.TryGetValue(name, out var custom) ? custom
                : null);
        }
        catch (InvalidQueryException e)
        {
            throw RpcErrors.InvalidArgument($"invalid query: {e.Message}");
        }
        if (query.GroupBy is not null || query.OrderBy.Count > 0)
        {
            throw RpcErrors.InvalidArgument("invalid query: schedules are listed newest first; GROUP BY and ORDER BY are not supported");
        }
        return query;
    }

    private T OnSchedule<T>(string namespaceName, string scheduleId, Func<ScheduleLifecycle, T> action)
    {
        var ns = engine.Namespaces.Get(namespaceName);
        RequireId(scheduleId);
        var schedule = Schedules.Find(ns.Name, scheduleId) ?? throw NotFound(scheduleId);
        lock (schedule.Gate)
        {
            return schedule.IsDeleted ? throw NotFound(scheduleId) : action(schedule);
        }
    }

    /// <summary>Compiles the spec and checks the action as Temporal does before it accepts a schedule.</summary>
    private CompiledScheduleSpec Validate(Schedule? schedule)
    {
        if (schedule is null)
        {
            throw RpcErrors.InvalidArgument("Schedule is not set on request.");
        }
        CompiledScheduleSpec spec;
        try
        {
            spec = CompiledScheduleSpec.Compile(schedule.Spec ?? new ScheduleSpec());
        }
        catch (FormatException e)
        {
            throw RpcErrors.InvalidArgument($"Invalid schedule spec: {e.Message}.");
        }
        if (schedule.Action?.StartWorkflow is not { } start)
        {
            throw RpcErrors.InvalidArgument("The schedule has no action: it needs action.start_workflow.");
        }
        if (string.IsNullOrEmpty(start.WorkflowId))
        {
            throw RpcErrors.InvalidArgument("The schedule's start_workflow action has no WorkflowId.");
        }
        if (string.IsNullOrEmpty(start.WorkflowType?.Name))
        {
            throw RpcErrors.InvalidArgument("The schedule's start_workflow action has no WorkflowType.");
        }
        if (string.IsNullOrEmpty(start.TaskQueue?.Name))
        {
            throw RpcErrors.InvalidArgument("The schedule's start_workflow action has no TaskQueue.");
        }
        if (!string.IsNullOrEmpty(start.CronSchedule))
        {
            throw RpcErrors.InvalidArgument("The schedule's start_workflow action may not have a CronSchedule: the schedule's spec says when it runs.");
        }
        foreach (var (timeout, name) in new[] { (start.WorkflowExecutionTimeout, "WorkflowExecutionTimeout"), (start.WorkflowRunTimeout, "WorkflowRunTimeout"), (start.WorkflowTaskTimeout, "WorkflowTaskTimeout") })
        {
            if (timeout?.ToTimeSpan() < TimeSpan.Zero)
            {
                throw RpcErrors.InvalidArgument($"Invalid {name} of the schedule's start_workflow action: it must not be negative.");
            }
        }
        RetryPolicies.Validate(start.RetryPolicy);
        engine.Namespaces.ValidateSearchAttributes(start.SearchAttributes);
        if (schedule.State is { LimitedActions: true, RemainingActions: < 0 })
        {
            throw RpcErrors.InvalidArgument("The schedule's remaining_actions must not be negative.");
        }
        return spec;
    }

    private static void Validate(SchedulePatch patch)
    {
        foreach (var backfill in patch.BackfillRequest)
        {
            if (backfill.StartTime is null || backfill.EndTime is null)
            {
                throw RpcErrors.InvalidArgument("A backfill needs both StartTime and EndTime.");
            }
            if (backfill.EndTime.ToDateTime() < backfill.StartTime.ToDateTime())
            {
                throw RpcErrors.InvalidArgument("A backfill's EndTime is before its StartTime.");
            }
        }
    }

    private static void RequireId(string scheduleId)
    {
        if (string.IsNullOrEmpty(scheduleId))
        {
            throw RpcErrors.InvalidArgument("ScheduleId is not set on request.");
        }
    }

    private static (long Ticks, string Id) ReadPageToken(ByteString token)
    {
        var text = token.ToString(Encoding.UTF8);
        var separator = text.IndexOf('\n', StringComparison.Ordinal);
        return separator > 0 && long.TryParse(text.AsSpan(0, separator), NumberStyles.None, CultureInfo.InvariantCulture, out var ticks)
            ? (ticks, text[(separator + 1)..])
            : throw RpcErrors.InvalidArgument("invalid next page token: it does not come from ListSchedules");
    }

    private static RpcException NotFound(string scheduleId) => RpcErrors.NotFound($"schedule {scheduleId} not found");

    private static RpcException AlreadyExists(string scheduleId) =>
        new(new Status(StatusCode.AlreadyExists, $"schedule {scheduleId} is already registered"));
}
