using Temporalio.Converters;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>Counts its cron runs through the last completion result; from run <c>blockAt</c> on it stays open.</summary>
[Workflow]
public sealed class CronCounterWorkflow
{
    [WorkflowRun]
    public async Task<int> RunAsync(int blockAt)
    {
        var previous = Workflow.Info.LastResult is { Count: > 0 } last
            ? Workflow.PayloadConverter.ToValue<int>(last.First().Payload)
            : 0;
        var count = previous + 1;
        if (count >= blockAt)
        {
            await Workflow.WaitConditionAsync(() => false);
        }
        return count;
    }
}

/// <summary>First run fails; the next reports the failure it was handed; later runs stay open.</summary>
[Workflow]
public sealed class CronFailureWorkflow
{
    [WorkflowRun]
    public async Task<string> RunAsync()
    {
        if (Workflow.Info.LastResult is { Count: > 0 })
        {
            await Workflow.WaitConditionAsync(() => false);
        }
        if (Workflow.Info.LastFailure is { } failure)
        {
            return $"saw: {failure.Message}";
        }
        throw new ApplicationFailureException("first run fails", "CronBroke");
    }
}

/// <summary>Runs <see cref="CronCounterWorkflow"/> as an hourly cron child bounded by an execution timeout.</summary>
[Workflow]
public sealed class CronParentWorkflow
{
    [WorkflowRun]
    public Task<int> RunAsync(TimeSpan childExecutionTimeout) =>
        Workflow.ExecuteChildWorkflowAsync((CronCounterWorkflow wf) => wf.RunAsync(int.MaxValue), new()
        {
            Id = $"{Workflow.Info.WorkflowId}-child",
            CronSchedule = "@hourly",
            ExecutionTimeout = childExecutionTimeout,
        });
}
