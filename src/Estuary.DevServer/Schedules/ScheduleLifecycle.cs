using System.Buffers.Binary;
using System.Globalization;
using Estuary.DevServer.Time;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Microsoft.Extensions.Logging;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.Schedule.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Schedules;

/// <summary>
/// One schedule and its state machine, as Temporal's scheduler runs one. Every event — created, a scheduled time falls
/// due, patched (trigger, backfill, pause, unpause), updated, a workflow it started closed, the server restarted —
/// ends the same way (<see cref="Continue"/>): the scheduled times that passed since the last ones it took are turned
/// into waiting actions (unless paused or out of remaining actions; times older than the catch-up window are counted as
/// missed), the waiting actions are taken under their overlap policy (<see cref="OverlapBuffer"/>: start a workflow,
/// keep waiting, skip, cancel or terminate the running one), and a timer is armed on the server's clock for the next
/// scheduled time, so time skipping jumps to it. A workflow it starts is named <c>{workflow id}-{nominal time in RFC
/// 3339}</c>, carries the search attributes <c>TemporalScheduledStartTime</c> and <c>TemporalScheduledById</c>, and gets the
/// last completion result and failure of the schedule's earlier workflows. Every change happens under <see cref="Gate"/>.
/// </summary>
internal sealed class ScheduleLifecycle
{
    /// <summary>How many recent actions Describe shows.</summary>
    public const int RecentActionCount = 10;

    /// <summary>How many future action times Describe shows.</summary>
    public const int FutureActionCount = 10;

    /// <summary>How many recent actions and future times a list entry shows.</summary>
    public const int ListActionCount = 5;

    /// <summary>At most this many actions wait at once; more are dropped (and counted).</summary>
    public const int MaxBufferSize = 1000;

    /// <summary>At most this many times are listed by <see cref="MatchingTimes"/>.</summary>
    public const int MaxMatchingTimes = 1000;

    /// <summary>The catch-up window when the schedule sets none.</summary>
    public static readonly TimeSpan DefaultCatchupWindow = TimeSpan.FromDays(365);

    /// <summary>The smallest catch-up window; a smaller one is raised to it.</summary>
    public static readonly TimeSpan MinCatchupWindow = TimeSpan.FromSeconds(10);

    /// <summary>How long a schedule with nothing left to do (no more times, no remaining actions) is kept after its last event.</summary>
    public static readonly TimeSpan Retention = TimeSpan.FromDays(7);

    private readonly IScheduleServices _services;
    private CompiledScheduleSpec _spec;
    private ScheduledTimer? _timer;

    private ScheduleLifecycle(IScheduleServices services, string namespaceName, string namespaceId, string scheduleId, Schedule schedule, CompiledScheduleSpec spec)
    {
        _services = services;
        Namespace = namespaceName;
        NamespaceId = namespaceId;
        ScheduleId = scheduleId;
        Schedule = schedule;
        _spec = spec;
    }

    /// <summary>The lock every change to the schedule happens under.</summary>
    public object Gate { get; } = new();

    public string Namespace { get; }

    public string NamespaceId { get; }

    public string ScheduleId { get; }

    /// <summary>Spec (canonical), action, policies (defaults filled in) and state, as Describe shows them.</summary>
    public Schedule Schedule { get; private set; }

    /// <summary>Counts, running workflows, recent actions, create and update times (future times are computed when asked).</summary>
    public ScheduleInfo Info { get; private set; } = new();

    public Memo Memo { get; private set; } = new();

    /// <summary>The schedule's own search attributes (what a list filter reads), not those of the workflows it starts.</summary>
    public SearchAttributes SearchAttributes { get; private set; } = new();

    /// <summary>The create request's id: the same create sent again succeeds without creating anything.</summary>
    public string CreateRequestId { get; private set; } = "";

    /// <summary>The latest scheduled time already turned into an action (or skipped, missed, paused over).</summary>
    public DateTime LastProcessedTime { get; private set; }

    /// <summary>Grows with every change of the schedule or its state; an update carrying an older one is refused.</summary>
    public long ConflictToken { get; private set; } = 1;

    /// <summary>The last successful result of a workflow the schedule started, handed to the next one.</summary>
    public Payloads? LastCompletionResult { get; private set; }

    /// <summary>The failure of the last workflow the schedule started when it failed, handed to the next one.</summary>
    public Failure? ContinuedFailure { get; private set; }

    /// <summary>Actions waiting to be taken, oldest first.</summary>
    public List<BufferedStart> Buffer { get; private set; } = [];

    public bool IsDeleted { get; private set; }

    /// <summary>The change log batch the schedule was last recorded in (maintained by the change log).</summary>
    public long DirtyBatch { get; set; }

    /// <summary>The time the armed timer falls due, or null when none is armed (paused, nothing left).</summary>
    public DateTime? WakeTime => _timer is { IsCancelled: false } timer ? timer.Due : null;

    private DateTime Now => _services.Now;

    private string JitterSeed => $"{NamespaceId}-{ScheduleId}";

    private string Identity => $"temporal-scheduler-{Namespace}-{ScheduleId}";

    private TimeSpan CatchupWindow => Schedule.Policies.CatchupWindow.ToTimeSpan();

    private DateTime? UpdateTime => Info.UpdateTime?.ToDateTime();

    /// <summary>Fills in what Temporal fills in before it stores a schedule: the canonical spec and the default policies.</summary>
    public static Schedule Normalize(Schedule schedule, CompiledScheduleSpec spec)
    {
        var normalized = schedule.Clone();
        normalized.Spec = spec.Canonical.Clone();
        normalized.Action ??= new ScheduleAction();
        normalized.Policies ??= new SchedulePolicies();
        normalized.State ??= new ScheduleState();
        if (normalized.Policies.OverlapPolicy == ScheduleOverlapPolicy.Unspecified)
        {
            normalized.Policies.OverlapPolicy = ScheduleOverlapPolicy.Skip;
        }
        var catchup = normalized.Policies.CatchupWindow?.ToTimeSpan() ?? DefaultCatchupWindow;
        normalized.Policies.CatchupWindow = Duration.FromTimeSpan(catchup < MinCatchupWindow ? MinCatchupWindow : catchup);
        return normalized;
    }

    /// <summary>A new schedule; <see cref="Begin"/> starts it.</summary>
    public static ScheduleLifecycle Create(IScheduleServices services, string namespaceName, string namespaceId, string scheduleId,
        Schedule schedule, CompiledScheduleSpec spec, Memo? memo, SearchAttributes? searchAttributes, string requestId)
    {
        var now = services.Now;
        return new ScheduleLifecycle(services, namespaceName, namespaceId, scheduleId, Normalize(schedule, spec), spec)
        {
            Memo = memo?.Clone() ?? new Memo(),
            SearchAttributes = searchAttributes?.Clone() ?? new SearchAttributes(),
            CreateRequestId = requestId,
            LastProcessedTime = now,
            Info = new ScheduleInfo { CreateTime = Timestamp.FromDateTime(now) },
        };
    }

    // ---- Events ----

    /// <summary>Created: takes the create request's initial patch (trigger immediately, backfills), then goes on.</summary>
    public void Begin(SchedulePatch? initialPatch)
    {
        _services.Logger.LogInformation("Schedule {ScheduleId} created in {Namespace}", ScheduleId, Namespace);
        if (initialPatch is not null)
        {
            ApplyPatch(initialPatch);
        }
        Continue();
    }

    /// <summary>The armed timer fell due: a scheduled time came.</summary>
    public void OnDue() => Continue();

    /// <summary>The server restarted: times that passed meanwhile are taken if within the catch-up window.</summary>
    public void Resume() => Continue();

    /// <summary>PatchSchedule: trigger immediately, backfill, pause, unpause.</summary>
    public void Patch(SchedulePatch patch)
    {
        ProcessScheduledTimes();
        ApplyPatch(patch);
        Continue();
    }

    /// <summary>
    /// UpdateSchedule: spec, action, policies and state replaced (counts, running workflows and recent actions kept);
    /// search attributes and memo replaced when given. Times before the update are not taken under the new spec.
    /// </summary>
    /// <exception cref="RpcException">The conflict token is not the current one.</exception>
    public void Update(Schedule schedule, CompiledScheduleSpec spec, ByteString conflictToken, SearchAttributes? searchAttributes, Memo? memo)
    {
        if (!conflictToken.IsEmpty && ReadToken(conflictToken) != ConflictToken)
        {
            throw new RpcException(new Status(StatusCode.FailedPrecondition,
                $"schedule {ScheduleId} was changed since its conflict token was read; describe it again and retry the update"));
        }
        ProcessScheduledTimes();
        Schedule = Normalize(schedule, spec);
        _spec = spec;
        if (searchAttributes is not null)
        {
            SearchAttributes = searchAttributes.Clone();
        }
        if (memo is not null)
        {
            Memo = memo.Clone();
        }
        Info.UpdateTime = Timestamp.FromDateTime(Now);
        ConflictToken++;
        Continue();
    }

    /// <summary>
    /// A workflow chain the schedule started ended: it is no longer running; a failure or time-out pauses the schedule
    /// when the policy says so; its result (or failure) is handed to the next workflow; waiting actions may start now.
    /// </summary>
    public void WorkflowClosed(string workflowId, WorkflowExecutionStatus status, Payloads? result, Failure? failure)
    {
        var index = Info.RunningWorkflows.ToList().FindIndex(e => e.WorkflowId == workflowId);
        if (index >= 0)
        {
            _services.Unwatch(this, Info.RunningWorkflows[index]);
            Info.RunningWorkflows.RemoveAt(index);
        }
        foreach (var action in Info.RecentActions.Where(a => a.StartWorkflowResult?.WorkflowId == workflowId))
        {
            action.StartWorkflowStatus = status;
        }
        if (Schedule.Policies.PauseOnFailure && !Schedule.State.Paused
            && status is WorkflowExecutionStatus.Failed or WorkflowExecutionStatus.TimedOut)
        {
            Schedule.State.Paused = true;
            Schedule.State.Notes = status == WorkflowExecutionStatus.Failed
                ? $"paused due to workflow failure: {workflowId}: {failure?.Message}"
                : $"paused due to workflow timeout: {workflowId}";
            ConflictToken++;
            _services.Logger.LogInformation("Schedule {ScheduleId} paused: {Notes}", ScheduleId, Schedule.State.Notes);
        }
        if (status == WorkflowExecutionStatus.Completed)
        {
            LastCompletionResult = result;
            ContinuedFailure = null;
        }
        else if (status == WorkflowExecutionStatus.Failed && failure is not null)
        {
            // The last successful result stays, as Temporal keeps it.
            ContinuedFailure = failure;
        }
        Continue();
    }

    /// <summary>DeleteSchedule (or retention): no more actions; the workflows it started keep running.</summary>
    public void Delete()
    {
        IsDeleted = true;
        _timer?.Cancel();
        _timer = null;
        foreach (var running in Info.RunningWorkflows)
        {
            _services.Unwatch(this, running);
        }
        _services.Logger.LogInformation("Schedule {ScheduleId} deleted from {Namespace}", ScheduleId, Namespace);
    }

    // ---- Transitions ----

    /// <summary>What every event ends with: take the times that passed, take the waiting actions, arm the next time.</summary>
    private void Continue()
    {
        ProcessScheduledTimes();
        while (TakeWaitingActions())
        {
        }
        Arm();
        _services.Changed(this);
    }

    private void ApplyPatch(SchedulePatch patch)
    {
        if (patch.TriggerImmediately is { } trigger)
        {
            var at = trigger.ScheduledTime?.ToDateTime() ?? Now;
            AddStart(at, at, trigger.OverlapPolicy, manual: true);
        }
        foreach (var backfill in patch.BackfillRequest)
        {
            // The start is inclusive, as in Temporal.
            ProcessTimeRange(backfill.StartTime.ToDateTime().AddMilliseconds(-1), backfill.EndTime.ToDateTime(), backfill.OverlapPolicy, manual: true);
        }
        if (patch.Pause.Length > 0)
        {
            Schedule.State.Paused = true;
            Schedule.State.Notes = patch.Pause;
            ConflictToken++;
        }
        if (patch.Unpause.Length > 0)
        {
            Schedule.State.Paused = false;
            Schedule.State.Notes = patch.Unpause;
            ConflictToken++;
        }
    }

    private void ProcessScheduledTimes()
    {
        var now = Now;
        if (now > LastProcessedTime)
        {
            LastProcessedTime = ProcessTimeRange(LastProcessedTime, now, ScheduleOverlapPolicy.Unspecified, manual: false);
        }
    }

    /// <summary>Turns the scheduled times in (<paramref name="start"/>, <paramref name="end"/>] into waiting actions; returns the last time looked at.</summary>
    private DateTime ProcessTimeRange(DateTime start, DateTime end, ScheduleOverlapPolicy overlap, bool manual)
    {
        if (!manual && !CanTakeScheduledAction(manual: false, decrement: false))
        {
            // Paused or out of actions: the whole range passes without actions, and without counting them missed.
            return end;
        }
        var last = start;
        for (var next = _spec.NextTime(start, JitterSeed); next is { } time && time.Next <= end; next = _spec.NextTime(time.Next, JitterSeed))
        {
            last = time.Next;
            if (!manual && UpdateTime is { } updated && updated > time.Next)
            {
                continue;
            }
            if (!manual && end - time.Next > CatchupWindow)
            {
                Info.MissedCatchupWindow++;
                continue;
            }
            if (!AddStart(time.Nominal, time.Next, overlap, manual))
            {
                // The buffer is full: the rest of the range is dropped.
                return manual ? last : end;
            }
        }
        return last;
    }

    private bool AddStart(DateTime nominal, DateTime actual, ScheduleOverlapPolicy overlap, bool manual)
    {
        if (Buffer.Count >= MaxBufferSize)
        {
            Info.BufferDropped++;
            _services.Logger.LogWarning("Schedule {ScheduleId} has {Count} actions waiting; the one of {Time:O} is dropped", ScheduleId, Buffer.Count, nominal);
            return false;
        }
        Buffer.Add(new BufferedStart(nominal, actual, overlap, manual));
        return true;
    }

    /// <summary>Takes the waiting actions as their overlap policy says; returns whether another pass may take more.</summary>
    private bool TakeWaitingActions()
    {
        if (Schedule.Action?.StartWorkflow is not { } action || Buffer.Count == 0)
        {
            Buffer.Clear();
            return false;
        }
        var decision = OverlapBuffer.Decide(Buffer, Info.RunningWorkflows.Count > 0, Resolve);
        Buffer = decision.Remaining;
        Info.OverlapSkipped += decision.Skipped;
        var again = false;
        var starts = decision.NonOverlapping is { } single ? decision.Overlapping.Append(single) : decision.Overlapping;
        foreach (var start in starts.ToList())
        {
            if (!CanTakeScheduledAction(start.Manual, decrement: true))
            {
                again = true;
                continue;
            }
            if (StartWorkflow(start, action) is not { } result)
            {
                again = true;
                continue;
            }
            RecordAction(result, tracked: ReferenceEquals(start, decision.NonOverlapping));
        }
        if (decision.TerminateRunning || decision.CancelRunning)
        {
            foreach (var running in Info.RunningWorkflows.ToList())
            {
                if (decision.TerminateRunning)
                {
                    _services.Terminate(this, running, "terminated by schedule overlap policy");
                }
                else
                {
                    _services.RequestCancel(this, running, "cancelled by schedule overlap policy");
                }
            }
        }
        return again;
    }

    private ScheduleActionResult? StartWorkflow(BufferedStart start, Temporalio.Api.Workflow.V1.NewWorkflowExecutionInfo action)
    {
        var nominal = new DateTime(start.Nominal.Ticks - start.Nominal.Ticks % TimeSpan.TicksPerSecond, DateTimeKind.Utc);
        var workflowId = Schedule.Policies.KeepOriginalWorkflowId
            ? action.WorkflowId
            : $"{action.WorkflowId}-{nominal.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture)}";
        // Workflows that may overlap take no part in the completion result chain, as in Temporal.
        var allowAll = Resolve(start.Overlap) == ScheduleOverlapPolicy.AllowAll;
        var searchAttributes = action.SearchAttributes?.Clone() ?? new SearchAttributes();
        searchAttributes.IndexedFields[ScheduledStartTimeAttribute] = SearchAttributePayload(
            nominal.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture), "Datetime");
        searchAttributes.IndexedFields[ScheduledByIdAttribute] = SearchAttributePayload(ScheduleId, "Keyword");
        var request = new StartWorkflowExecutionRequest
        {
            Namespace = Namespace,
            WorkflowId = workflowId,
            WorkflowType = action.WorkflowType,
            TaskQueue = action.TaskQueue,
            Input = action.Input,
            WorkflowExecutionTimeout = action.WorkflowExecutionTimeout,
            WorkflowRunTimeout = action.WorkflowRunTimeout,
            WorkflowTaskTimeout = action.WorkflowTaskTimeout,
            Identity = Identity,
            RequestId = Guid.NewGuid().ToString(),
            // A scheduled time is taken once; a trigger or backfill may repeat one.
            WorkflowIdReusePolicy = start.Manual ? WorkflowIdReusePolicy.AllowDuplicate : WorkflowIdReusePolicy.RejectDuplicate,
            RetryPolicy = action.RetryPolicy,
            Memo = action.Memo,
            SearchAttributes = searchAttributes,
            Header = action.Header,
            LastCompletionResult = allowAll ? null : LastCompletionResult,
            ContinuedFailure = allowAll ? null : ContinuedFailure,
            UserMetadata = action.UserMetadata,
            Priority = action.Priority,
        };
        string runId;
        try
        {
            runId = _services.StartWorkflow(request);
        }
        catch (RpcException e)
        {
            _services.Logger.LogWarning("Schedule {ScheduleId} could not start workflow {WorkflowId}: {Message}", ScheduleId, workflowId, e.Status.Detail);
            return null;
        }
        _services.Logger.LogInformation("Schedule {ScheduleId} started workflow {WorkflowId} (run {RunId}) for {Time:O}", ScheduleId, workflowId, runId, nominal);
        return new ScheduleActionResult
        {
            ScheduleTime = Timestamp.FromDateTime(start.Actual),
            ActualTime = Timestamp.FromDateTime(Now),
            StartWorkflowResult = new WorkflowExecution { WorkflowId = workflowId, RunId = runId },
            StartWorkflowStatus = WorkflowExecutionStatus.Running,
        };
    }

    private void RecordAction(ScheduleActionResult result, bool tracked)
    {
        Info.ActionCount++;
        Info.RecentActions.Add(result);
        while (Info.RecentActions.Count > RecentActionCount)
        {
            Info.RecentActions.RemoveAt(0);
        }
        if (tracked)
        {
            var execution = result.StartWorkflowResult.Clone();
            Info.RunningWorkflows.Add(execution);
            _services.Watch(this, execution);
        }
    }

    /// <summary>Whether an action may be taken now; with <paramref name="decrement"/>, counts it against the remaining actions.</summary>
    private bool CanTakeScheduledAction(bool manual, bool decrement)
    {
        if (manual)
        {
            return true;
        }
        var state = Schedule.State;
        if (state.Paused)
        {
            return false;
        }
        if (!state.LimitedActions)
        {
            return true;
        }
        if (state.RemainingActions <= 0)
        {
            return false;
        }
        if (decrement)
        {
            state.RemainingActions--;
            ConflictToken++;
        }
        return true;
    }

    private ScheduleOverlapPolicy Resolve(ScheduleOverlapPolicy policy) =>
        policy == ScheduleOverlapPolicy.Unspecified ? Schedule.Policies.OverlapPolicy : policy;

    /// <summary>Arms the timer for the next scheduled time (none while paused or out of actions: an event wakes the schedule then).</summary>
    private void Arm()
    {
        DateTime? wake = null;
        if (CanTakeScheduledAction(manual: false, decrement: false) && _spec.NextTime(LastProcessedTime, JitterSeed) is { } next)
        {
            wake = next.Next;
        }
        if (_timer is { IsCancelled: false } current && current.Due == wake)
        {
            return;
        }
        _timer?.Cancel();
        _timer = wake is { } due ? _services.Arm(this, due, OnDue) : null;
    }

    /// <summary>
    /// When the schedule may be dropped: <see cref="Retention"/> after its last event (created, updated, an action) once it
    /// has nothing left to do — no next time or no remaining actions — and is not paused; null while it has.
    /// </summary>
    public DateTime? RetentionExpiry()
    {
        if (Schedule.State.Paused
            || (CanTakeScheduledAction(manual: false, decrement: false) && _spec.NextTime(LastProcessedTime, JitterSeed) is not null))
        {
            return null;
        }
        var last = Info.CreateTime.ToDateTime();
        if (UpdateTime is { } updated && updated > last)
        {
            last = updated;
        }
        if (Info.RecentActions.LastOrDefault()?.ActualTime?.ToDateTime() is { } acted && acted > last)
        {
            last = acted;
        }
        return last + Retention;
    }

    // ---- Reads ----

    /// <summary>DescribeSchedule's answer.</summary>
    public DescribeScheduleResponse Describe()
    {
        var info = Info.Clone();
        info.FutureActionTimes.Add(FutureActionTimes(FutureActionCount));
        info.BufferSize = Buffer.Count;
        return new DescribeScheduleResponse
        {
            Schedule = Schedule.Clone(),
            Info = info,
            Memo = Memo.Clone(),
            SearchAttributes = SearchAttributes.Clone(),
            ConflictToken = WriteToken(ConflictToken),
        };
    }

    /// <summary>ListSchedules' entry for the schedule.</summary>
    public ScheduleListEntry ListEntry()
    {
        var spec = Schedule.Spec.Clone();
        spec.TimezoneData = ByteString.Empty;
        var info = new ScheduleListInfo
        {
            Spec = spec,
            WorkflowType = Schedule.Action?.StartWorkflow?.WorkflowType?.Clone(),
            Notes = Schedule.State.Notes,
            Paused = Schedule.State.Paused,
        };
        info.RecentActions.Add(Info.RecentActions.Skip(Math.Max(0, Info.RecentActions.Count - ListActionCount)).Select(a => a.Clone()));
        info.FutureActionTimes.Add(FutureActionTimes(ListActionCount));
        return new ScheduleListEntry { ScheduleId = ScheduleId, Memo = Memo.Clone(), SearchAttributes = SearchAttributes.Clone(), Info = info };
    }

    /// <summary>ListScheduleMatchingTimes: the spec's times (with jitter) in (<paramref name="start"/>, <paramref name="end"/>], at most <see cref="MaxMatchingTimes"/>.</summary>
    public IEnumerable<Timestamp> MatchingTimes(DateTime start, DateTime end)
    {
        var times = new List<Timestamp>();
        var after = start;
        while (times.Count < MaxMatchingTimes && _spec.NextTime(after, JitterSeed) is { } next && next.Next <= end)
        {
            times.Add(Timestamp.FromDateTime(next.Next));
            after = next.Next;
        }
        return times;
    }

    /// <summary>The next scheduled times still to come (none before the last update; no more than the remaining actions).</summary>
    private List<Timestamp> FutureActionTimes(int count)
    {
        if (Schedule.State.LimitedActions)
        {
            count = (int)Math.Min(count, Math.Max(0, Schedule.State.RemainingActions));
        }
        var times = new List<Timestamp>();
        var after = LastProcessedTime;
        while (times.Count < count && _spec.NextTime(after, JitterSeed) is { } next)
        {
            after = next.Next;
            if (UpdateTime is { } updated && updated > next.Next)
            {
                continue;
            }
            times.Add(Timestamp.FromDateTime(next.Next));
        }
        return times;
    }

    // ---- Store ----

    /// <summary>Encodes the schedule for the store. Called with no change in progress.</summary>
    public byte[] Capture()
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(RecordVersion);
            writer.Write(NamespaceId);
            WriteMessage(writer, Schedule);
            WriteMessage(writer, Info);
            WriteMessage(writer, Memo);
            WriteMessage(writer, SearchAttributes);
            writer.Write(CreateRequestId);
            writer.Write(LastProcessedTime.Ticks);
            writer.Write(ConflictToken);
            WriteOptionalMessage(writer, LastCompletionResult);
            WriteOptionalMessage(writer, ContinuedFailure);
            writer.Write(Buffer.Count);
            foreach (var start in Buffer)
            {
                writer.Write(start.Nominal.Ticks);
                writer.Write(start.Actual.Ticks);
                writer.Write((int)start.Overlap);
                writer.Write(start.Manual);
            }
        }
        return stream.ToArray();
    }

    /// <summary>Rebuilds a stored schedule (<see cref="Resume"/> then arms it); throws <see cref="InvalidDataException"/> when the record is not one.</summary>
    public static ScheduleLifecycle Restore(IScheduleServices services, string namespaceName, string scheduleId, byte[] record)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(record));
            if (reader.ReadByte() != RecordVersion)
            {
                throw new InvalidDataException($"schedule {scheduleId} has a record of an unknown version");
            }
            var namespaceId = reader.ReadString();
            var schedule = Schedule.Parser.ParseFrom(ReadBytes(reader));
            var spec = CompiledScheduleSpec.Compile(schedule.Spec);
            var restored = new ScheduleLifecycle(services, namespaceName, namespaceId, scheduleId, schedule, spec)
            {
                Info = ScheduleInfo.Parser.ParseFrom(ReadBytes(reader)),
                Memo = Memo.Parser.ParseFrom(ReadBytes(reader)),
                SearchAttributes = SearchAttributes.Parser.ParseFrom(ReadBytes(reader)),
                CreateRequestId = reader.ReadString(),
                LastProcessedTime = new DateTime(reader.ReadInt64(), DateTimeKind.Utc),
                ConflictToken = reader.ReadInt64(),
                LastCompletionResult = reader.ReadBoolean() ? Payloads.Parser.ParseFrom(ReadBytes(reader)) : null,
                ContinuedFailure = reader.ReadBoolean() ? Failure.Parser.ParseFrom(ReadBytes(reader)) : null,
            };
            for (var count = reader.ReadInt32(); count > 0; count--)
            {
                restored.Buffer.Add(new BufferedStart(new DateTime(reader.ReadInt64(), DateTimeKind.Utc), new DateTime(reader.ReadInt64(), DateTimeKind.Utc),
                    (ScheduleOverlapPolicy)reader.ReadInt32(), reader.ReadBoolean()));
            }
            foreach (var running in restored.Info.RunningWorkflows)
            {
                services.Watch(restored, running);
            }
            return restored;
        }
        catch (Exception e) when (e is EndOfStreamException or InvalidProtocolBufferException or FormatException)
        {
            throw new InvalidDataException($"schedule {scheduleId} has a damaged record: {e.Message}", e);
        }
    }

    /// <summary>The search attribute naming the time a scheduled workflow was scheduled for.</summary>
    public const string ScheduledStartTimeAttribute = "TemporalScheduledStartTime";

    /// <summary>The search attribute naming the schedule that started a workflow.</summary>
    public const string ScheduledByIdAttribute = "TemporalScheduledById";

    private const byte RecordVersion = 1;

    /// <summary>A search attribute value as Temporal writes one: JSON, with its type in the metadata.</summary>
    private static Payload SearchAttributePayload(string value, string type) => new()
    {
        Metadata =
        {
            ["encoding"] = ByteString.CopyFromUtf8("json/plain"),
            ["type"] = ByteString.CopyFromUtf8(type),
        },
        Data = ByteString.CopyFromUtf8(System.Text.Json.JsonSerializer.Serialize(value)),
    };

    private static ByteString WriteToken(long token)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, token);
        return ByteString.CopyFrom(bytes);
    }

    private static long ReadToken(ByteString token) =>
        token.Length == 8 ? BinaryPrimitives.ReadInt64BigEndian(token.Span) : -1;

    private static void WriteMessage(BinaryWriter writer, IMessage message)
    {
        var bytes = message.ToByteArray();
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private static void WriteOptionalMessage(BinaryWriter writer, IMessage? message)
    {
        writer.Write(message is not null);
        if (message is not null)
        {
            WriteMessage(writer, message);
        }
    }

    private static byte[] ReadBytes(BinaryReader reader) => reader.ReadBytes(reader.ReadInt32());
}
