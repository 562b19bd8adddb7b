using Estuary.DevServer.Grpc;
using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Deployment.V1;
using Temporalio.Api.Enums.V1;

namespace Estuary.DevServer.Deployments;

/// <summary>
/// One worker deployment of a namespace: its versions (created when their first versioned poller arrives, with every
/// task queue they polled) and its routing (the current version and a ramping one with its percentage), changed under
/// its own lock. Task matching reads <see cref="Routing"/>, a snapshot replaced on every change.
/// </summary>
internal sealed class WorkerDeployment
{
    private const byte RecordVersion = 1;

    private readonly object _lock = new();
    private readonly WorkerDeploymentInfo _info;
    private readonly List<WorkerDeploymentVersionInfo> _versions = [];
    private long _revision;
    private bool _deleted;

    private WorkerDeployment(string ns, WorkerDeploymentInfo info)
    {
        Namespace = ns;
        _info = info;
        Routing = DeploymentRouting.Of(info.RoutingConfig);
    }

    public WorkerDeployment(string ns, string name, DateTime now)
        : this(ns, new WorkerDeploymentInfo
        {
            Name = name,
            CreateTime = Timestamp.FromDateTime(now),
            RoutingConfig = new RoutingConfig(),
        })
    {
    }

    public string Namespace { get; }

    public string Name => _info.Name;

    /// <summary>Where new and auto-upgrade tasks go now.</summary>
    public DeploymentRouting Routing { get; private set; }

    /// <summary>Compares with a caller's conflict token; a mismatch means the deployment changed since the caller read it.</summary>
    public ByteString ConflictToken
    {
        get
        {
            lock (_lock)
            {
                return Token();
            }
        }
    }

    /// <summary>Every task queue a version of the deployment polled.</summary>
    public List<string> TaskQueueNames()
    {
        lock (_lock)
        {
            return [.. _versions.SelectMany(version => version.TaskQueueInfos).Select(queue => queue.Name).Distinct(StringComparer.Ordinal)];
        }
    }

    /// <summary>
    /// Records that <paramref name="buildId"/> polled <paramref name="queue"/>; true when that is news (a version or queue
    /// not seen before), null when the deployment was deleted meanwhile (the caller records it in a new one).
    /// </summary>
    public bool? RecordPoller(string buildId, string queue, TaskQueueType type, DateTime now)
    {
        lock (_lock)
        {
            if (_deleted)
            {
                return null;
            }
            var version = Find(buildId);
            var changed = false;
            if (version is null)
            {
                version = NewVersion(buildId, now);
                changed = true;
            }
            if (!version.TaskQueueInfos.Any(info => info.Name == queue && info.Type == type))
            {
                version.TaskQueueInfos.Add(new WorkerDeploymentVersionInfo.Types.VersionTaskQueueInfo { Name = queue, Type = type });
                changed = true;
            }
            return changed;
        }
    }

    /// <summary>
    /// Makes <paramref name="buildId"/> (empty: unversioned workers) the current version; a ramp to it ends.
    /// Throws an RPC error naming the problem when the request cannot be applied.
    /// </summary>
    public void SetCurrent(string buildId, ByteString conflictToken, string identity, bool allowNoPollers, bool ignoreMissingTaskQueues, DateTime now)
    {
        lock (_lock)
        {
            CheckToken(conflictToken);
            CheckManager(identity);
            var routing = _info.RoutingConfig;
            var previous = WorkerVersion.Of(routing.CurrentDeploymentVersion);
            var target = Target(buildId, allowNoPollers, ignoreMissingTaskQueues, previous, now);
            if (target == previous)
            {
                return;
            }
            var stamp = Timestamp.FromDateTime(now);
            if (target is null && routing.RampingDeploymentVersion is null && IsRamping(routing))
            {
                // Unversioned workers become current: their ramp is over.
                ClearRamp(routing, stamp);
            }
            if (previous is { } old)
            {
                var oldInfo = Find(old.BuildId)!;
                oldInfo.CurrentSinceTime = null;
                oldInfo.LastCurrentTime = stamp;
                oldInfo.RoutingChangedTime = stamp;
                Deactivated(oldInfo, stamp);
            }
            routing.CurrentDeploymentVersion = target?.ToProto();
            routing.CurrentVersionChangedTime = stamp;
            if (target is { } next)
            {
                var nextInfo = Find(next.BuildId)!;
                nextInfo.CurrentSinceTime = stamp;
                nextInfo.RoutingChangedTime = stamp;
                nextInfo.FirstActivationTime ??= stamp;
                nextInfo.DrainageInfo = null;
                if (WorkerVersion.Of(routing.RampingDeploymentVersion) == next)
                {
                    nextInfo.RampingSinceTime = null;
                    nextInfo.RampPercentage = 0;
                    ClearRamp(routing, stamp);
                }
            }
            Changed(identity);
        }
    }

    /// <summary>
    /// Ramps <paramref name="percentage"/> of new and auto-upgrade workflows to <paramref name="buildId"/>, or to unversioned
    /// workers when it is empty; an empty build id with 0 % ends the ramp.
    /// </summary>
    public void SetRamping(string buildId, float percentage, ByteString conflictToken, string identity,
        bool allowNoPollers, bool ignoreMissingTaskQueues, DateTime now)
    {
        if (float.IsNaN(percentage) || percentage < 0 || percentage > 100)
        {
            throw RpcErrors.InvalidArgument($"ramping percentage {percentage} is outside [0, 100]");
        }
        lock (_lock)
        {
            CheckToken(conflictToken);
            CheckManager(identity);
            var routing = _info.RoutingConfig;
            var previous = WorkerVersion.Of(routing.RampingDeploymentVersion);
            var previousPercentage = routing.RampingVersionPercentage;
            var wasRamping = IsRamping(routing);
            var stamp = Timestamp.FromDateTime(now);
            if (buildId.Length == 0 && percentage == 0)
            {
                if (wasRamping)
                {
                    EndRampOf(previous, stamp);
                    ClearRamp(routing, stamp);
                    Changed(identity);
                }
                return;
            }
            var current = WorkerVersion.Of(routing.CurrentDeploymentVersion);
            var target = Target(buildId, allowNoPollers, ignoreMissingTaskQueues, current, now);
            if (target == current)
            {
                throw RpcErrors.InvalidArgument(target is null
                    ? "unversioned workers are the current version already: ramping towards them needs a current version"
                    : $"the ramping version cannot be the current version ({target})");
            }
            if (wasRamping && target == previous && percentage == previousPercentage)
            {
                return;
            }
            if (!wasRamping || target != previous)
            {
                EndRampOf(previous, stamp);
                routing.RampingDeploymentVersion = target?.ToProto();
                routing.RampingVersionChangedTime = stamp;
                if (target is { } next)
                {
                    var nextInfo = Find(next.BuildId)!;
                    nextInfo.RampingSinceTime = stamp;
                    nextInfo.FirstActivationTime ??= stamp;
                    nextInfo.DrainageInfo = null;
                }
            }
            routing.RampingVersionPercentage = percentage;
            routing.RampingVersionPercentageChangedTime = stamp;
            if (target is { } ramped)
            {
                var rampedInfo = Find(ramped.BuildId)!;
                rampedInfo.RampPercentage = percentage;
                rampedInfo.RoutingChangedTime = stamp;
            }
            Changed(identity);
        }
    }

    /// <summary>
    /// Deletes version <paramref name="buildId"/> as Temporal allows it: not while it is current or ramping, nor while
    /// <paramref name="hasPollers"/> says workers of it still poll one of its task queues, nor while open workflows are pinned to it unless
    /// <paramref name="skipDrainage"/>. False when the deployment has no such version.
    /// </summary>
    public bool DeleteVersion(string buildId, string identity, bool skipDrainage,
        Func<WorkerVersion, IEnumerable<WorkerDeploymentVersionInfo.Types.VersionTaskQueueInfo>, bool> hasPollers,
        Func<WorkerVersion, VersionDrainageStatus> drainage)
    {
        lock (_lock)
        {
            if (Find(buildId) is not { } info)
            {
                return false;
            }
            CheckManager(identity);
            var version = new WorkerVersion(Name, buildId);
            var status = Status(info, drainage);
            if (status is WorkerDeploymentVersionStatus.Current or WorkerDeploymentVersionStatus.Ramping)
            {
                throw RpcErrors.FailedPrecondition($"version {version} cannot be deleted while it is the {(status == WorkerDeploymentVersionStatus.Current ? "current" : "ramping")} version");
            }
            if (hasPollers(version, info.TaskQueueInfos))
            {
                throw RpcErrors.FailedPrecondition($"version {version} cannot be deleted while its workers poll (they count until they have not polled for five minutes)");
            }
            if (!skipDrainage && status == WorkerDeploymentVersionStatus.Draining)
            {
                throw RpcErrors.FailedPrecondition($"version {version} cannot be deleted while it is draining (open workflows are pinned to it); pass skip_drainage to delete it anyway");
            }
            _versions.Remove(info);
            Changed(identity);
            return true;
        }
    }

    /// <summary>
    /// Deletes the deployment, which Temporal allows only once it has no versions; <paramref name="unregister"/> removes it
    /// from the registry under the deployment's lock, so a poll cannot add a version to it meanwhile.
    /// </summary>
    public void Delete(Action unregister)
    {
        lock (_lock)
        {
            if (_versions.Count > 0)
            {
                throw RpcErrors.FailedPrecondition(
                    $"worker deployment {Name} cannot be deleted while it has versions ({string.Join(", ", _versions.Select(v => v.DeploymentVersion.BuildId))}); delete them first");
            }
            _deleted = true;
            unregister();
        }
    }

    /// <summary>Upserts and removes entries of version <paramref name="buildId"/>'s metadata; null when there is no such version.</summary>
    public VersionMetadata? UpdateMetadata(string buildId, IDictionary<string, Temporalio.Api.Common.V1.Payload> upsert, IEnumerable<string> remove)
    {
        lock (_lock)
        {
            if (Find(buildId) is not { } info)
            {
                return null;
            }
            info.Metadata ??= new VersionMetadata();
            foreach (var (key, value) in upsert)
            {
                info.Metadata.Entries[key] = value.Clone();
            }
            foreach (var key in remove)
            {
                info.Metadata.Entries.Remove(key);
            }
            return info.Metadata.Clone();
        }
    }

    /// <summary>
    /// Sets the identity that alone may change the deployment's routing and delete its versions (empty: anyone). Any
    /// caller may change it, guarded only by the conflict token, as in Temporal.
    /// </summary>
    public void SetManager(string manager, ByteString conflictToken, string identity)
    {
        lock (_lock)
        {
            CheckToken(conflictToken);
            if (_info.ManagerIdentity != manager)
            {
                _info.ManagerIdentity = manager;
                Changed(identity);
            }
        }
    }

    /// <summary>The deployment as DescribeWorkerDeployment reports it; <paramref name="drainage"/> tells a version's drainage.</summary>
    public WorkerDeploymentInfo Describe(Func<WorkerVersion, VersionDrainageStatus> drainage)
    {
        lock (_lock)
        {
            var info = _info.Clone();
            foreach (var version in _versions)
            {
                info.VersionSummaries.Add(Summary(version, drainage));
            }
            return info;
        }
    }

    /// <summary>What ListWorkerDeployments reports of the deployment.</summary>
    public Temporalio.Api.WorkflowService.V1.ListWorkerDeploymentsResponse.Types.WorkerDeploymentSummary ListSummary(Func<WorkerVersion, VersionDrainageStatus> drainage)
    {
        lock (_lock)
        {
            var routing = _info.RoutingConfig;
            var current = WorkerVersion.Of(routing.CurrentDeploymentVersion);
            var ramping = WorkerVersion.Of(routing.RampingDeploymentVersion);
            return new()
            {
                Name = Name,
                CreateTime = _info.CreateTime.Clone(),
                RoutingConfig = routing.Clone(),
                LatestVersionSummary = _versions.Count == 0 ? null : Summary(_versions[^1], drainage),
                CurrentVersionSummary = current is { } c ? Summary(Find(c.BuildId)!, drainage) : null,
                RampingVersionSummary = ramping is { } r ? Summary(Find(r.BuildId)!, drainage) : null,
            };
        }
    }

    /// <summary>One version as DescribeWorkerDeploymentVersion reports it, or null when the deployment has no such build.</summary>
    public WorkerDeploymentVersionInfo? DescribeVersion(string buildId, Func<WorkerVersion, VersionDrainageStatus> drainage)
    {
        lock (_lock)
        {
            if (Find(buildId) is not { } version)
            {
                return null;
            }
            var info = version.Clone();
            info.Status = Status(version, drainage);
            if (info.Status is WorkerDeploymentVersionStatus.Draining or WorkerDeploymentVersionStatus.Drained)
            {
                info.DrainageInfo = new VersionDrainageInfo
                {
                    Status = info.Status == WorkerDeploymentVersionStatus.Drained ? VersionDrainageStatus.Drained : VersionDrainageStatus.Draining,
                    LastChangedTime = version.LastDeactivationTime?.Clone(),
                    LastCheckedTime = version.LastDeactivationTime?.Clone(),
                };
            }
            return info;
        }
    }

    /// <summary>Encodes the deployment for the store.</summary>
    public byte[] Capture()
    {
        lock (_lock)
        {
            using var stream = new MemoryStream();
            using (var writer = new BinaryWriter(stream))
            {
                writer.Write(RecordVersion);
                writer.Write(_revision);
                Write(writer, _info);
                writer.Write(_versions.Count);
                foreach (var version in _versions)
                {
                    Write(writer, version);
                }
            }
            return stream.ToArray();
        }
    }

    /// <summary>Decodes a stored deployment; throws <see cref="InvalidDataException"/> when it is not one.</summary>
    public static WorkerDeployment Restore(string ns, byte[] record)
    {
        try
        {
            using var reader = new BinaryReader(new MemoryStream(record));
            if (reader.ReadByte() != RecordVersion)
            {
                throw new InvalidDataException("unknown worker deployment record version");
            }
            var revision = reader.ReadInt64();
            var deployment = new WorkerDeployment(ns, WorkerDeploymentInfo.Parser.ParseFrom(reader.ReadBytes(reader.ReadInt32()))) { _revision = revision };
            for (var count = reader.ReadInt32(); count > 0; count--)
            {
                deployment._versions.Add(WorkerDeploymentVersionInfo.Parser.ParseFrom(reader.ReadBytes(reader.ReadInt32())));
            }
            return deployment;
        }
        catch (Exception e) when (e is EndOfStreamException or IOException or InvalidProtocolBufferException)
        {
            throw new InvalidDataException("damaged worker deployment record", e);
        }
    }

    private static void Write(BinaryWriter writer, IMessage message)
    {
        var bytes = message.ToByteArray();
        writer.Write(bytes.Length);
        writer.Write(bytes);
    }

    private WorkerDeploymentVersionInfo? Find(string buildId) => _versions.Find(version => version.DeploymentVersion.BuildId == buildId);

    private WorkerDeploymentVersionInfo NewVersion(string buildId, DateTime now)
    {
        var version = new WorkerVersion(Name, buildId);
        var info = new WorkerDeploymentVersionInfo
        {
            DeploymentVersion = version.ToProto(),
            DeploymentName = Name,
            CreateTime = Timestamp.FromDateTime(now),
        };
        _versions.Add(info);
        return info;
    }

    /// <summary>The version a Set call names, checked as Temporal checks it; null for unversioned workers.</summary>
    private WorkerVersion? Target(string buildId, bool allowNoPollers, bool ignoreMissingTaskQueues, WorkerVersion? current, DateTime now)
    {
        if (buildId.Length == 0)
        {
            return null;
        }
        var info = Find(buildId);
        if (info is null)
        {
            if (!allowNoPollers)
            {
                throw RpcErrors.FailedPrecondition($"no poller of version {new WorkerVersion(Name, buildId)} was seen; pass allow_no_pollers to route to it anyway");
            }
            info = NewVersion(buildId, now);
        }
        if (!ignoreMissingTaskQueues && current is { } from && Find(from.BuildId) is { } currentInfo)
        {
            var missing = currentInfo.TaskQueueInfos.Where(queue => !info.TaskQueueInfos.Any(q => q.Name == queue.Name && q.Type == queue.Type))
                .Select(queue => queue.Name).Distinct().ToList();
            if (missing.Count > 0 && info.TaskQueueInfos.Count > 0)
            {
                throw RpcErrors.FailedPrecondition($"version {new WorkerVersion(Name, buildId)} does not poll task queue(s) {string.Join(", ", missing)} that the current version polls; pass ignore_missing_task_queues to go ahead");
            }
        }
        return new WorkerVersion(Name, buildId);
    }

    private void EndRampOf(WorkerVersion? version, Timestamp stamp)
    {
        if (version is { } ramped && Find(ramped.BuildId) is { } info)
        {
            info.RampingSinceTime = null;
            info.RampPercentage = 0;
            info.RoutingChangedTime = stamp;
            Deactivated(info, stamp);
        }
    }

    private static void Deactivated(WorkerDeploymentVersionInfo info, Timestamp stamp)
    {
        if (info.CurrentSinceTime is null && info.RampingSinceTime is null)
        {
            info.LastDeactivationTime = stamp;
        }
    }

    private static void ClearRamp(RoutingConfig routing, Timestamp stamp)
    {
        routing.RampingDeploymentVersion = null;
        routing.RampingVersionPercentage = 0;
        routing.RampingVersionChangedTime = stamp;
        routing.RampingVersionPercentageChangedTime = stamp;
    }

    private void Changed(string identity)
    {
        _revision++;
        _info.LastModifierIdentity = identity;
        _info.RoutingConfig.RevisionNumber = _revision;
        Routing = DeploymentRouting.Of(_info.RoutingConfig);
    }

    /// <summary>
    /// Whether a ramp is set: towards a version (at any percentage), or towards unversioned workers (no version, a
    /// percentage above 0: an empty build id at 0 % ends a ramp).
    /// </summary>
    public static bool IsRamping(RoutingConfig routing) => routing.RampingDeploymentVersion is not null || routing.RampingVersionPercentage > 0;

    /// <summary>A deployment with a manager takes routing changes and deletions only from that identity, as in Temporal.</summary>
    private void CheckManager(string identity)
    {
        if (_info.ManagerIdentity.Length > 0 && identity != _info.ManagerIdentity)
        {
            throw RpcErrors.FailedPrecondition(
                $"worker deployment {Name} is managed by '{_info.ManagerIdentity}', not by '{identity}'; SetWorkerDeploymentManager changes its manager");
        }
    }

    private ByteString Token() => ByteString.CopyFrom(BitConverter.GetBytes(_revision));

    private void CheckToken(ByteString conflictToken)
    {
        if (!conflictToken.IsEmpty && !conflictToken.Equals(Token()))
        {
            throw RpcErrors.FailedPrecondition($"worker deployment {Name} changed since the conflict token was read");
        }
    }

    private static WorkerDeploymentInfo.Types.WorkerDeploymentVersionSummary Summary(WorkerDeploymentVersionInfo version, Func<WorkerVersion, VersionDrainageStatus> drainage)
    {
        var status = Status(version, drainage);
        return new()
        {
            DeploymentVersion = version.DeploymentVersion.Clone(),
            CreateTime = version.CreateTime?.Clone(),
            Status = status,
            DrainageStatus = status switch
            {
                WorkerDeploymentVersionStatus.Draining => VersionDrainageStatus.Draining,
                WorkerDeploymentVersionStatus.Drained => VersionDrainageStatus.Drained,
                _ => VersionDrainageStatus.Unspecified,
            },
            CurrentSinceTime = version.CurrentSinceTime?.Clone(),
            RampingSinceTime = version.RampingSinceTime?.Clone(),
            RoutingUpdateTime = version.RoutingChangedTime?.Clone(),
            FirstActivationTime = version.FirstActivationTime?.Clone(),
            LastCurrentTime = version.LastCurrentTime?.Clone(),
            LastDeactivationTime = version.LastDeactivationTime?.Clone(),
        };
    }

    /// <summary>Current, ramping, inactive (never either), or draining / drained once it was and no longer is.</summary>
    private static WorkerDeploymentVersionStatus Status(WorkerDeploymentVersionInfo version, Func<WorkerVersion, VersionDrainageStatus> drainage)
    {
        if (version.CurrentSinceTime is not null)
        {
            return WorkerDeploymentVersionStatus.Current;
        }
        if (version.RampingSinceTime is not null)
        {
            return WorkerDeploymentVersionStatus.Ramping;
        }
        if (version.FirstActivationTime is null)
        {
            return WorkerDeploymentVersionStatus.Inactive;
        }
        return drainage(WorkerVersion.Of(version.DeploymentVersion)!.Value) == VersionDrainageStatus.Drained
            ? WorkerDeploymentVersionStatus.Drained
            : WorkerDeploymentVersionStatus.Draining;
    }
}

/// <summary>
/// Where a deployment's new and auto-upgrade tasks go: the current version, and a ramping one for a share of workflows
/// (a null version is unversioned workers, on either side).
/// </summary>
internal sealed record DeploymentRouting(WorkerVersion? Current, bool IsRamping, WorkerVersion? Ramping, float Percentage)
{
    public static DeploymentRouting Of(RoutingConfig routing) => new(
        WorkerVersion.Of(routing.CurrentDeploymentVersion),
        WorkerDeployment.IsRamping(routing),
        WorkerVersion.Of(routing.RampingDeploymentVersion),
        routing.RampingVersionPercentage);

    /// <summary>
    /// The version a workflow's task goes to. The ramp takes a stable share of workflow ids (hashed into 100 buckets), so
    /// a workflow stays on the same side of the ramp from task to task while the percentage stays.
    /// </summary>
    public WorkerVersion? For(string workflowId) => IsRamping && Bucket(workflowId) < Percentage ? Ramping : Current;

    private static double Bucket(string workflowId)
    {
        // FNV-1a: stable across processes, unlike string.GetHashCode.
        var hash = 2166136261u;
        foreach (var c in workflowId)
        {
            hash = (hash ^ c) * 16777619u;
        }
        return hash % 10000 / 100.0;
    }
}
