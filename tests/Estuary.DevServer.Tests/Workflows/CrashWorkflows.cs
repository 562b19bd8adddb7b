using System.Threading.Channels;
using Temporalio.Activities;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Workflows;

namespace Estuary.DevServer.Tests.Workflows;

/// <summary>
/// An activity whose completion is reported by the test itself (asynchronous completion), so the test knows exactly
/// which completions the server acknowledged. Every execution is traced.
/// </summary>
public sealed class AsyncCompletedActivities(ChannelWriter<(byte[] TaskToken, string Key)> completions, Action<string> trace)
{
    [Activity]
    public string Step(string key)
    {
        trace($"start {key}");
        completions.TryWrite((ActivityExecutionContext.Current.Info.TaskToken, key));
        throw new CompleteAsyncException();
    }
}

/// <summary>Two activity steps with a short timer between them.</summary>
[Workflow]
public sealed class TwoStepWorkflow
{
    private static readonly ActivityOptions StepOptions = new()
    {
        StartToCloseTimeout = TimeSpan.FromSeconds(3),
        RetryPolicy = new RetryPolicy { InitialInterval = TimeSpan.FromMilliseconds(200), BackoffCoefficient = 1 },
    };

    [WorkflowRun]
    public async Task<string> RunAsync(string key)
    {
        var first = await Workflow.ExecuteActivityAsync((AsyncCompletedActivities a) => a.Step($"{key}/1"), StepOptions);
        await Workflow.DelayAsync(TimeSpan.FromMilliseconds(200));
        var second = await Workflow.ExecuteActivityAsync((AsyncCompletedActivities a) => a.Step($"{key}/2"), StepOptions);
        return $"{first} {second}";
    }
}
