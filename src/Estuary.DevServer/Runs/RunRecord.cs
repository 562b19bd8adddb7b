using Estuary.DevServer.Runs.Lifecycles;
using Google.Protobuf;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Failure.V1;
using Temporalio.Api.History.V1;
using Temporalio.Api.Update.V1;
using Temporalio.Api.Workflow.V1;

namespace Estuary.DevServer.Runs;

/// <summary>
/// What a run's state holds beyond its history, stored beside it so a restart loses nothing: the start request id,
/// stickiness, a transient or speculative workflow task (not in the history by design), events buffered behind a
/// running workflow task, each activity's attempt, heartbeat and last failure, and admitted updates not yet accepted;
/// from version 2 on, what operators did to activities (pause, reset, changed options); from version 3 on, a versioning
/// override an operator set or removed after the start. Encoded compactly with a version byte; an older record reads
/// as one without what later versions added.
/// </summary>
internal sealed class RunRecord
{
    private const byte Version = 3;

    public string RequestId { get; private init; } = "";

    private string? _stickyQueue;
    private TimeSpan _stickyTimeout;
    private (int Attempt, bool Speculative)? _heldTask;
    private readonly List<(string Id, Request Request)> _pendingUpdates = [];
    private readonly List<ActivityAttempt> _activities = [];
    private readonly List<ActivityOperatorState> _operatorStates = [];
    private (bool Changed, VersioningOverride? Override) _versioningOverride;

    public List<HistoryEvent> BufferedEvents { get; } = [];

    /// <summary>Encodes what <paramref name="run"/> holds outside its history. Called with no change in progress.</summary>
    public static byte[] Capture(WorkflowRun run)
    {
        using var stream = new MemoryStream();
        using (var writer = new BinaryWriter(stream))
        {
            writer.Write(Version);
            writer.Write(run.RequestId);
            var tasks = run.WorkflowTasks;
            WriteOptional(writer, tasks.StickyQueue);
            writer.Write(tasks.StickyScheduleToStartTimeout.Ticks);
            var held = tasks.Current is { IsTransient: true } or { IsSpeculative: true } ? tasks.Current : null;
            writer.Write(held is not null);
            if (held is not null)
            {
                writer.Write(held.Attempt);
                writer.Write(held.IsSpeculative);
            }
            writer.Write(run.BufferedEvents.Count);
            foreach (var evt in run.BufferedEvents)
            {
                WriteMessage(writer, evt);
            }
            writer.Write(run.Activities.Count);
            foreach (var activity in run.Activities.Values)
            {
                writer.Write(activity.ScheduledEventId);
                writer.Write((byte)activity.Status);
                writer.Write(activity.Attempt);
                writer.Write(activity.CurrentAttemptScheduledTime.Ticks);
                writer.Write(activity.StartedTime.Ticks);
                writer.Write(activity.StartedIdentity);
                writer.Write(activity.StartedRequestId);
                WriteOptionalMessage(writer, activity.HeartbeatDetails);
                writer.Write(activity.LastHeartbeatTime?.Ticks ?? 0);
                WriteOptionalMessage(writer, activity.LastFailure);
                writer.Write(activity.LastWorkerIdentity);
                writer.Write(activity.BackoffUntil.Ticks);
            }
            writer.Write(run.PendingUpdates.Count);
            foreach (var update in run.PendingUpdates)
            {
                writer.Write(update.UpdateId);
                WriteMessage(writer, update.Request);
            }
            writer.Write(run.Activities.Count);
            foreach (var activity in run.Activities.Values)
            {
                writer.Write(activity.ScheduledEventId);
                writer.Write(activity.Paused);
                writer.Write(activity.PauseInfo.Time.Ticks);
                writer.Write(activity.PauseInfo.Identity ?? "");
                writer.Write(activity.PauseInfo.Reason ?? "");
                writer.Write(activity.ResetRequested);
                WriteOptionalMessage(writer, ReferenceEquals(activity.Options, activity.Attributes) ? null : activity.Options);
                writer.Write(activity.LastAttemptCompleteTime?.Ticks ?? 0);
                writer.Write(activity.CurrentRetryInterval.Ticks);
            }
            var versioning = run.Versioning;
            writer.Write(versioning.OverrideChanged);
            if (versioning.OverrideChanged)
            {
                WriteOptionalMessage(writer, versioning.Override);
            }
        }
        return stream.ToArray();
    }

    /// <summary>Decodes a stored record; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static RunRecord Read(byte[] bytes)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(bytes));
            var version = reader.ReadByte();
            if (version is < 1 or > Version)
            {
                throw new InvalidDataException("unknown run record version");
            }
            var record = new RunRecord { RequestId = reader.ReadString() };
            record._stickyQueue = ReadOptional(reader);
            record._stickyTimeout = TimeSpan.FromTicks(reader.ReadInt64());
            if (reader.ReadBoolean())
            {
                record._heldTask = (reader.ReadInt32(), reader.ReadBoolean());
            }
            for (var count = reader.ReadInt32(); count > 0; count--)
            {
                record.BufferedEvents.Add(HistoryEvent.Parser.ParseFrom(reader.ReadBytes(reader.ReadInt32())));
            }
            for (var count = reader.ReadInt32(); count > 0; count--)
            {
                record._activities.Add(new ActivityAttempt(
                    ScheduledEventId: reader.ReadInt64(),
                    Status: (ActivityStatus)reader.ReadByte(),
                    Attempt: reader.ReadInt32(),
                    CurrentAttemptScheduledTime: new DateTime(reader.ReadInt64(), DateTimeKind.Utc),
                    StartedTime: new DateTime(reader.ReadInt64(), DateTimeKind.Utc),
                    StartedIdentity: reader.ReadString(),
                    StartedRequestId: reader.ReadString(),
                    HeartbeatDetails: ReadOptionalMessage(reader, Payloads.Parser),
                    LastHeartbeatTime: reader.ReadInt64() is var heartbeat and > 0 ? new DateTime(heartbeat, DateTimeKind.Utc) : null,
                    LastFailure: ReadOptionalMessage(reader, Failure.Parser),
                    LastWorkerIdentity: reader.ReadString(),
                    BackoffUntil: new DateTime(reader.ReadInt64(), DateTimeKind.Utc)));
            }
            for (var count = reader.ReadInt32(); count > 0; count--)
            {
                record._pendingUpdates.Add((reader.ReadString(), Request.Parser.ParseFrom(reader.ReadBytes(reader.ReadInt32()))));
            }
            for (var count = version >= 2 ? reader.ReadInt32() : 0; count > 0; count--)
            {
                record._operatorStates.Add(new ActivityOperatorState(
                    ScheduledEventId: reader.ReadInt64(),
                    Paused: reader.ReadBoolean(),
                    PauseTime: new DateTime(reader.ReadInt64(), DateTimeKind.Utc),
                    PausedBy: reader.ReadString(),
                    PauseReason: reader.ReadString(),
                    ResetRequested: reader.ReadBoolean(),
                    Options: ReadOptionalMessage(reader, ActivityTaskScheduledEventAttributes.Parser),
                    LastAttemptCompleteTime: reader.ReadInt64() is var ended and > 0 ? new DateTime(ended, DateTimeKind.Utc) : null,
                    CurrentRetryInterval: TimeSpan.FromTicks(reader.ReadInt64())));
            }
            if (version >= 3 && reader.ReadBoolean())
            {
                record._versioningOverride = (true, ReadOptionalMessage(reader, VersioningOverride.Parser));
            }
            return record;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or InvalidProtocolBufferException)
        {
            throw new InvalidDataException("damaged run record", e);
        }
    }

    /// <summary>Puts the record back into a run rebuilt from its history.</summary>
    public void ApplyTo(WorkflowRun run)
    {
        var tasks = run.WorkflowTasks;
        tasks.StickyQueue = _stickyQueue;
        if (_stickyTimeout > TimeSpan.Zero)
        {
            tasks.StickyScheduleToStartTimeout = _stickyTimeout;
        }
        tasks.HeldTask = _heldTask;
        foreach (var saved in _activities)
        {
            if (!run.Activities.TryGetValue(saved.ScheduledEventId, out var activity))
            {
                continue;
            }
            activity.Status = saved.Status;
            activity.Attempt = saved.Attempt;
            activity.CurrentAttemptScheduledTime = saved.CurrentAttemptScheduledTime;
            activity.StartedTime = saved.StartedTime;
            activity.StartedIdentity = saved.StartedIdentity;
            activity.StartedRequestId = saved.StartedRequestId;
            activity.HeartbeatDetails = saved.HeartbeatDetails;
            activity.LastHeartbeatTime = saved.LastHeartbeatTime;
            activity.LastFailure = saved.LastFailure;
            activity.LastWorkerIdentity = saved.LastWorkerIdentity;
            activity.BackoffUntil = saved.BackoffUntil;
        }
        foreach (var saved in _operatorStates)
        {
            if (!run.Activities.TryGetValue(saved.ScheduledEventId, out var activity))
            {
                continue;
            }
            activity.Paused = saved.Paused;
            activity.PauseInfo = (saved.PauseTime, saved.PausedBy, saved.PauseReason);
            activity.ResetRequested = saved.ResetRequested;
            activity.Options = saved.Options ?? activity.Attributes;
            activity.LastAttemptCompleteTime = saved.LastAttemptCompleteTime;
            activity.CurrentRetryInterval = saved.CurrentRetryInterval;
        }
        foreach (var (id, request) in _pendingUpdates)
        {
            UpdateLifecycle.Admitted(run, id, request);
        }
        if (_versioningOverride.Changed)
        {
            run.RestoreVersioningOverride(_versioningOverride.Override);
        }
    }

    private static void WriteOptional(BinaryWriter writer, string? value)
    {
        writer.Write(value is not null);
        if (value is not null)
        {
            writer.Write(value);
        }
    }

    private static string? ReadOptional(BinaryReader reader) => reader.ReadBoolean() ? reader.ReadString() : null;

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

    private static T? ReadOptionalMessage<T>(BinaryReader reader, MessageParser<T> parser)
        where T : IMessage<T> =>
        reader.ReadBoolean() ? parser.ParseFrom(reader.ReadBytes(reader.ReadInt32())) : default;

    private sealed record ActivityAttempt(
        long ScheduledEventId, ActivityStatus Status, int Attempt, DateTime CurrentAttemptScheduledTime, DateTime StartedTime,
        string StartedIdentity, string StartedRequestId, Payloads? HeartbeatDetails, DateTime? LastHeartbeatTime, Failure? LastFailure,
        string LastWorkerIdentity, DateTime BackoffUntil);

    private sealed record ActivityOperatorState(
        long ScheduledEventId, bool Paused, DateTime PauseTime, string PausedBy, string PauseReason, bool ResetRequested,
        ActivityTaskScheduledEventAttributes? Options, DateTime? LastAttemptCompleteTime, TimeSpan CurrentRetryInterval);
}
