using Estuary.DevServer.Ui.Rendering;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Query.V1;
using Temporalio.Api.TaskQueue.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Exceptions;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>The outcome of an action: done (with what the page shows next), or the one message naming what went wrong.</summary>
public sealed record ActionResult(bool Succeeded, string? Error = null, string? WorkflowId = null, string? RunId = null, Payloads? QueryResult = null)
{
    /// <summary>A failed action and its message.</summary>
    public static ActionResult Fail(string error) => new(false, error);
}

/// <summary>
/// Start, signal, query, cancel and terminate through <c>WorkflowService</c>. Arguments are checked before anything
/// is sent, so invalid input starts or sends nothing.
/// </summary>
internal sealed class WorkflowActions(TemporalGateway temporal)
{
    /// <summary>The built-in query every SDK answers with the workflow's call stack.</summary>
    public const string StackTraceQuery = "__stack_trace";

    public async Task<ActionResult> StartAsync(string ns, string? workflowType, string? workflowId, string? taskQueue, string? input, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(workflowType))
        {
            return ActionResult.Fail("Workflow Type is required.");
        }
        if (string.IsNullOrWhiteSpace(taskQueue))
        {
            return ActionResult.Fail("Task Queue is required.");
        }
        var payloads = JsonArguments.Parse(input, "Input", out var error);
        if (payloads is null)
        {
            return ActionResult.Fail(error!);
        }
        try
        {
            payloads = await temporal.Codec.EncodeAsync(ns, payloads, ct);
        }
        catch (InvalidOperationException e)
        {
            return ActionResult.Fail(e.Message);
        }
        var id = string.IsNullOrWhiteSpace(workflowId) ? Guid.NewGuid().ToString() : workflowId.Trim();
        return await CallAsync(async () =>
        {
            var response = await temporal.Service.StartWorkflowExecutionAsync(new StartWorkflowExecutionRequest
            {
                Namespace = ns,
                WorkflowId = id,
                WorkflowType = new WorkflowType { Name = workflowType.Trim() },
                TaskQueue = new TaskQueue { Name = taskQueue.Trim(), Kind = TaskQueueKind.Normal },
                Input = payloads,
                Identity = TemporalGateway.Identity,
                RequestId = Guid.NewGuid().ToString(),
            }, TemporalGateway.Call(ct));
            return new ActionResult(true, WorkflowId: id, RunId: response.RunId);
        }, e => e.Code == RpcException.StatusCode.AlreadyExists
            ? $"A workflow with id '{id}' is already running in namespace '{ns}'."
            : null);
    }

    public async Task<ActionResult> SignalAsync(string ns, WorkflowExecution execution, string? signalName, string? input, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(signalName))
        {
            return ActionResult.Fail("Signal name is required.");
        }
        var payloads = JsonArguments.Parse(input, "Input", out var error);
        if (payloads is null)
        {
            return ActionResult.Fail(error!);
        }
        try
        {
            payloads = await temporal.Codec.EncodeAsync(ns, payloads, ct);
        }
        catch (InvalidOperationException e)
        {
            return ActionResult.Fail(e.Message);
        }
        return await CallAsync(async () =>
        {
            await temporal.Service.SignalWorkflowExecutionAsync(new SignalWorkflowExecutionRequest
            {
                Namespace = ns,
                WorkflowExecution = execution,
                SignalName = signalName.Trim(),
                Input = payloads,
                Identity = TemporalGateway.Identity,
                RequestId = Guid.NewGuid().ToString(),
            }, TemporalGateway.Call(ct));
            return new ActionResult(true);
        });
    }

    public async Task<ActionResult> QueryAsync(string ns, WorkflowExecution execution, string? queryType, string? input, CancellationToken ct)
    {
        if (string.IsNullOrWhiteSpace(queryType))
        {
            return ActionResult.Fail("Query type is required.");
        }
        var payloads = JsonArguments.Parse(input, "Input", out var error);
        if (payloads is null)
        {
            return ActionResult.Fail(error!);
        }
        try
        {
            payloads = await temporal.Codec.EncodeAsync(ns, payloads, ct);
        }
        catch (InvalidOperationException e)
        {
            return ActionResult.Fail(e.Message);
        }
        return await CallAsync(async () =>
        {
            var response = await temporal.Service.QueryWorkflowAsync(new QueryWorkflowRequest
            {
                Namespace = ns,
                Execution = execution,
                Query = new WorkflowQuery { QueryType = queryType.Trim(), QueryArgs = payloads },
            }, TemporalGateway.Call(ct));
            if (response.QueryRejected is { } rejected)
            {
                return ActionResult.Fail($"Query rejected: the workflow is {rejected.Status}.");
            }
            var result = response.QueryResult ?? new Payloads();
            await temporal.Codec.DecodeAsync(ns, [result], ct);
            return new ActionResult(true, QueryResult: result);
        });
    }

    public Task<ActionResult> CancelAsync(string ns, WorkflowExecution execution, CancellationToken ct) =>
        CallAsync(async () =>
        {
            await temporal.Service.RequestCancelWorkflowExecutionAsync(new RequestCancelWorkflowExecutionRequest
            {
                Namespace = ns,
                WorkflowExecution = execution,
                Identity = TemporalGateway.Identity,
                RequestId = Guid.NewGuid().ToString(),
            }, TemporalGateway.Call(ct));
            return new ActionResult(true);
        });

    public Task<ActionResult> TerminateAsync(string ns, WorkflowExecution execution, string? reason, CancellationToken ct) =>
        CallAsync(async () =>
        {
            await temporal.Service.TerminateWorkflowExecutionAsync(new TerminateWorkflowExecutionRequest
            {
                Namespace = ns,
                WorkflowExecution = execution,
                Reason = string.IsNullOrWhiteSpace(reason) ? "Terminated from the UI" : reason.Trim(),
                Identity = TemporalGateway.Identity,
            }, TemporalGateway.Call(ct));
            return new ActionResult(true);
        });

    /// <summary>Runs a call; a failure becomes the server's message (or a clearer one from <paramref name="explain"/>).</summary>
    private async Task<ActionResult> CallAsync(Func<Task<ActionResult>> call, Func<RpcException, string?>? explain = null)
    {
        try
        {
            return await call();
        }
        catch (RpcException e)
        {
            return ActionResult.Fail(explain?.Invoke(e) ?? TemporalErrors.Describe(e, temporal.Address));
        }
    }
}
