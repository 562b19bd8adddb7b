using Estuary.DevServer.Schedules;
using Estuary.DevServer.Time;
using Google.Protobuf.WellKnownTypes;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Schedule.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.Workflow.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Tests.Schedules;

/// <summary>A schedule's state machine driven by a fake of the server around it, on a clock the test moves.</summary>
public sealed class ScheduleLifecycleTests
{
    private sealed class FakeServices : IScheduleServices
    {
        public DateTime Now { get; set; } = new(2030, 1, 1, 12, 0, 0, 500, DateTimeKind.Utc);

        public ILogger Logger => NullLogger.Instance;

        public List<StartWorkflowExecutionRequest> Started { get; } = [];

        public List<string> Cancelled { get; } = [];

        public ScheduledTimer? Armed { get; private set; }

        public ScheduledTimer Arm(ScheduleLifecycle schedule, DateTime due, Action onDue) => Armed = new ScheduledTimer(due, _ => onDue());

        public string StartWorkflow(StartWorkflowExecutionRequest request)
        {
            Started.Add(request);
            return $"run-{Started.Count}";
        }

        public void Terminate(ScheduleLifecycle schedule, WorkflowExecution execution, string reason) => Cancelled.Add($"terminate {execution.WorkflowId}");

        public void RequestCancel(ScheduleLifecycle schedule, WorkflowExecution execution, string reason) => Cancelled.Add($"cancel {execution.WorkflowId}");

        public void Watch(ScheduleLifecycle schedule, WorkflowExecution execution)
        {
        }

        public void Unwatch(ScheduleLifecycle schedule, WorkflowExecution execution)
        {
        }

        public void Changed(ScheduleLifecycle schedule)
        {
        }
    }

    private static ScheduleLifecycle EveryMinute(FakeServices services, TimeSpan catchupWindow, ScheduleOverlapPolicy overlap = ScheduleOverlapPolicy.Skip)
    {
        var schedule = new Schedule
        {
            Spec = new ScheduleSpec { Interval = { new IntervalSpec { Interval = Duration.FromTimeSpan(TimeSpan.FromMinutes(1)) } } },
            Action = new ScheduleAction
            {
                StartWorkflow = new NewWorkflowExecutionInfo
                {
                    WorkflowId = "minutely",
                    WorkflowType = new WorkflowType { Name = "Tick" },
                    TaskQueue = new TaskQueue { Name = "q" },
                },
            },
            Policies = new SchedulePolicies { CatchupWindow = Duration.FromTimeSpan(catchupWindow), OverlapPolicy = overlap },
        };
        var lifecycle = ScheduleLifecycle.Create(services, "default", "ns-id", "every-minute", schedule, CompiledScheduleSpec.Compile(schedule.Spec), null, null, "request");
        lifecycle.Begin(null);
        return lifecycle;
    }

    [Fact]
    public void Resume_FiveMinutesLaterWithAOneMinuteCatchupWindow_TakesTheLastTimeAndCountsTheOthersMissed()
    {
        var services = new FakeServices();
        var schedule = EveryMinute(services, TimeSpan.FromMinutes(1));
        Assert.Equal(new DateTime(2030, 1, 1, 12, 1, 0, DateTimeKind.Utc), services.Armed!.Due);

        services.Now = services.Now.AddMinutes(5);
        schedule.Resume();

        var started = Assert.Single(services.Started);
        Assert.Equal("minutely-2030-01-01T12:05:00Z", started.WorkflowId);
        Assert.Equal((4L, 1L), (schedule.Info.MissedCatchupWindow, schedule.Info.ActionCount));
        Assert.Equal(new DateTime(2030, 1, 1, 12, 6, 0, DateTimeKind.Utc), services.Armed!.Due);
    }

    [Fact]
    public void OnDue_PausedWhileTimesPass_TakesNothingAndCountsNothingMissedThenGoesOnAfterUnpause()
    {
        var services = new FakeServices();
        var schedule = EveryMinute(services, TimeSpan.FromMinutes(1));
        schedule.Patch(new SchedulePatch { Pause = "maintenance" });
        Assert.Null(schedule.WakeTime);

        services.Now = services.Now.AddMinutes(10);
        schedule.Patch(new SchedulePatch { Unpause = "done" });

        Assert.Empty(services.Started);
        Assert.Equal(0L, schedule.Info.MissedCatchupWindow);
        Assert.Equal(new DateTime(2030, 1, 1, 12, 11, 0, DateTimeKind.Utc), services.Armed!.Due);
        services.Now = services.Armed.Due;
        services.Armed.Fire();
        Assert.Equal("minutely-2030-01-01T12:11:00Z", Assert.Single(services.Started).WorkflowId);
    }

    [Fact]
    public void OnDue_CancelOtherWhileOneRuns_CancelsItAndStartsTheNextOnceItClosed()
    {
        var services = new FakeServices();
        var schedule = EveryMinute(services, TimeSpan.FromMinutes(1), ScheduleOverlapPolicy.CancelOther);
        services.Now = services.Armed!.Due;
        services.Armed.Fire();
        services.Now = services.Armed!.Due;
        services.Armed.Fire();

        Assert.Equal(["cancel minutely-2030-01-01T12:01:00Z"], services.Cancelled);
        Assert.Single(services.Started);
        schedule.WorkflowClosed("minutely-2030-01-01T12:01:00Z", WorkflowExecutionStatus.Canceled, null, null);

        Assert.Equal(["minutely-2030-01-01T12:01:00Z", "minutely-2030-01-01T12:02:00Z"], services.Started.Select(s => s.WorkflowId));
        Assert.Null(services.Started[1].LastCompletionResult);
    }
}
