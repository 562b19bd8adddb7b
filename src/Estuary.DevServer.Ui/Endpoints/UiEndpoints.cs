using Estuary.DevServer.Ui.Components;
using Estuary.DevServer.Ui.Rendering;
using Estuary.DevServer.Ui.Temporal;
using Microsoft.AspNetCore.Antiforgery;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Temporalio.Exceptions;

namespace Estuary.DevServer.Ui.Endpoints;

/// <summary>
/// The UI's routes, as Temporal's UI names them. Each GET reads from Temporal and renders a page; each POST checks
/// its antiforgery token and its input before calling Temporal, then redirects to the run's page (or shows the form
/// again with the message naming what is wrong).
/// </summary>
internal static class UiEndpoints
{
    public static void Map(IEndpointRouteBuilder app)
    {
        app.MapGet("/_ui/{name}", UiAssets.Serve);
        app.MapGet("/_ui/namespaces/{ns}/counts", CountsAsync);
        app.MapGet("/", (TemporalGateway temporal) => Results.Redirect(Urls.Workflows(temporal.DefaultNamespace)));

        var pages = app.MapGroup("").AddEndpointFilter(ShowTemporalErrors);
        pages.MapGet("/namespaces", NamespacesAsync);
        pages.MapGet("/namespaces/{ns}", (string ns) => Results.Redirect(Urls.Workflows(ns)));

        var workflows = pages.MapGroup("/namespaces/{ns}/workflows");
        workflows.MapGet("", ListAsync);
        workflows.MapGet("start-workflow", StartFormAsync);
        workflows.MapPost("start-workflow", StartAsync).DisableAntiforgery();
        workflows.MapGet("{workflowId}", LatestRunAsync);
        workflows.MapGet("{workflowId}/{runId}", (string ns, string workflowId, string runId) => Results.Redirect(Run(ns, workflowId, runId).Url()));

        var run = workflows.MapGroup("{workflowId}/{runId}");
        run.MapGet("history", HistoryAsync);
        run.MapGet("history/wait", WaitAsync);
        run.MapGet("history/events/{eventId:long}", EventAsync);
        run.MapGet("call-stack", CallStackAsync);
        run.MapGet("query", (string ns, string workflowId, string runId, TemporalGateway temporal, CancellationToken ct) =>
            RunPageAsync(temporal, Run(ns, workflowId, runId), details => Page<QueryPage>(new { Details = details }), ct));
        run.MapPost("query", QueryAsync).DisableAntiforgery();
        foreach (var action in (string[])["signal", "cancel", "terminate"])
        {
            run.MapGet(action, (string ns, string workflowId, string runId) =>
                Page<ActionPage>(new { Run = Run(ns, workflowId, runId), Action = action }));
        }
        run.MapPost("signal", SignalAsync).DisableAntiforgery();
        run.MapPost("cancel", CancelAsync).DisableAntiforgery();
        run.MapPost("terminate", TerminateAsync).DisableAntiforgery();
        // Temporal UI's other tabs: everything they show is on this UI's history page (or its call stack).
        run.MapGet("stack-trace", (string ns, string workflowId, string runId) => Results.Redirect(Run(ns, workflowId, runId).Url("call-stack")));
        foreach (var tab in (string[])["pending-activities", "relationships", "workers", "metadata", "summary"])
        {
            run.MapGet(tab, (string ns, string workflowId, string runId) => Results.Redirect(Run(ns, workflowId, runId).Url()));
        }

        app.MapFallback(() => Message(StatusCodes.Status404NotFound, "Page not found", "This UI has no page at this address."));
    }

    private static async Task<IResult> NamespacesAsync(TemporalGateway temporal, CancellationToken ct)
    {
        var response = await temporal.Service.ListNamespacesAsync(new() { PageSize = 1000 }, TemporalGateway.Call(ct));
        return Page<NamespacesPage>(new { Namespaces = response.Namespaces.OrderBy(n => n.NamespaceInfo.Name, StringComparer.Ordinal).ToList() });
    }

    private static async Task<IResult> ListAsync(
        string ns, string? query, string? next, int? pageSize, TemporalGateway temporal, CancellationToken ct)
    {
        var size = Math.Clamp(pageSize ?? WorkflowList.DefaultPageSize, 1, WorkflowList.MaxPageSize);
        var model = await WorkflowList.LoadAsync(temporal, ns, query, next, size, ct);
        return Page<WorkflowsPage>(new { Model = model }, model.FilterError is null ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest);
    }

    /// <summary>The list page's counts by status: <c>{"counts": {"Running": 3, …}}</c> or <c>{"error": "…"}</c>.</summary>
    private static async Task<IResult> CountsAsync(string ns, string? query, TemporalGateway temporal, CancellationToken ct)
    {
        var (counts, error) = await WorkflowList.CountAsync(temporal, ns, query, ct);
        return counts is null
            ? Results.Json(new { error })
            : Results.Json(new { counts = ListFilter.Statuses.ToDictionary(s => s.Name, s => counts.GetValueOrDefault(s.Status)) });
    }

    private static async Task<IResult> LatestRunAsync(string ns, string workflowId, TemporalGateway temporal, CancellationToken ct)
    {
        workflowId = Unescape(workflowId);
        return await WorkflowDetails.LatestRunIdAsync(temporal, ns, workflowId, ct) is { } runId
            ? Results.Redirect(Urls.Run(ns, workflowId, runId))
            : WorkflowNotFound(new RunRef(ns, workflowId, ""));
    }

    /// <summary>The run's page; after an action, <c>?done=</c> (and <c>&amp;signal=</c>) says what was done.</summary>
    private static Task<IResult> HistoryAsync(
        string ns, string workflowId, string runId, string? done, string? signal, TemporalGateway temporal, CancellationToken ct)
    {
        // Only known messages: a link cannot make the page say something else.
        var message = done switch
        {
            "signal" when !string.IsNullOrWhiteSpace(signal) => $"Signal '{signal}' sent.",
            "cancel" => "Cancellation requested.",
            "terminate" => "Workflow terminated.",
            _ => null,
        };
        return RunPageAsync(temporal, Run(ns, workflowId, runId), details => Page<WorkflowPage>(new { Details = details, Message = message }), ct);
    }

    private static async Task<IResult> CallStackAsync(
        string ns, string workflowId, string runId, TemporalGateway temporal, WorkflowActions actions, CancellationToken ct)
    {
        var target = Run(ns, workflowId, runId);
        var details = await WorkflowDetails.LoadAsync(temporal, ns, target.WorkflowId, target.RunId, ct);
        if (details is null)
        {
            return WorkflowNotFound(target);
        }
        var result = details.IsRunning ? await actions.QueryAsync(ns, target.Execution, WorkflowActions.StackTraceQuery, null, ct) : null;
        return Page<CallStackPage>(new { Details = details, Result = result });
    }

    /// <summary>Long-polls the history for an event after <paramref name="after"/>; the page's script reloads its parts when there is one.</summary>
    private static async Task<IResult> WaitAsync(
        string ns, string workflowId, string runId, long after, string? state, string? token, TemporalGateway temporal, CancellationToken ct)
    {
        var target = Run(ns, workflowId, runId);
        try
        {
            var (changed, next) = await HistoryWatch.WaitAsync(temporal, ns, target.Execution, after, state, token, ct);
            return Results.Json(new { changed, token = next });
        }
        catch (RpcException e) when (TemporalErrors.IsNotFound(e))
        {
            return Results.NotFound();
        }
    }

    private static async Task<IResult> EventAsync(string ns, string workflowId, string runId, long eventId, TemporalGateway temporal, CancellationToken ct)
    {
        var target = Run(ns, workflowId, runId);
        var found = await HistoryWatch.FindEventAsync(temporal, ns, target.Execution, eventId, ct);
        return found is null
            ? Results.Text($"No event {eventId} in this history.", "text/plain", statusCode: StatusCodes.Status404NotFound)
            : Results.Text(ProtoJson.ToText(found), "application/json; charset=utf-8");
    }

    private static async Task<IResult> StartFormAsync(
        string ns, string? workflowId, string? taskQueue, string? workflowType, string? input,
        string? fromWorkflowId, string? fromRunId, TemporalGateway temporal, CancellationToken ct)
    {
        string? note = null;
        if (!string.IsNullOrEmpty(fromWorkflowId) && !string.IsNullOrEmpty(fromRunId))
        {
            var from = await WorkflowDetails.LoadAsync(temporal, ns, fromWorkflowId, fromRunId, ct);
            if (from is null)
            {
                return WorkflowNotFound(new RunRef(ns, fromWorkflowId, fromRunId));
            }
            workflowId ??= from.Execution.WorkflowId;
            workflowType ??= from.Info.Type?.Name;
            taskQueue ??= from.Info.TaskQueue is { Length: > 0 } queue ? queue : from.Started?.TaskQueue?.Name;
            var copied = PayloadRenderer.ToInputText(from.Started?.Input);
            if (copied is null)
            {
                note = "The original input is not JSON (e.g. encrypted), so it was not copied.";
            }
            input ??= copied;
        }
        return Page<StartWorkflowPage>(new { Namespace = ns, WorkflowId = workflowId, TaskQueue = taskQueue, WorkflowType = workflowType, Input = input, Note = note });
    }

    private static async Task<IResult> StartAsync(string ns, HttpContext context, WorkflowActions actions, CancellationToken ct)
    {
        if (await FormAsync(context) is not { } form)
        {
            return ExpiredForm(ns);
        }
        string? workflowId = form["workflowId"], taskQueue = form["taskQueue"], workflowType = form["workflowType"], input = form["input"];
        var result = await actions.StartAsync(ns, workflowType, workflowId, taskQueue, input, ct);
        if (!result.Succeeded)
        {
            return Page<StartWorkflowPage>(
                new { Namespace = ns, WorkflowId = workflowId, TaskQueue = taskQueue, WorkflowType = workflowType, Input = input, Error = result.Error },
                StatusCodes.Status400BadRequest);
        }
        return SeeOther(Urls.Run(ns, result.WorkflowId!, result.RunId!));
    }

    private static async Task<IResult> QueryAsync(string ns, string workflowId, string runId, HttpContext context, TemporalGateway temporal, WorkflowActions actions, CancellationToken ct)
    {
        var target = Run(ns, workflowId, runId);
        if (await FormAsync(context) is not { } form)
        {
            return ExpiredForm(ns);
        }
        string? queryType = form["queryType"], input = form["input"];
        var result = await actions.QueryAsync(ns, target.Execution, queryType, input, ct);
        return await RunPageAsync(temporal, target, details => Page<QueryPage>(
            new { Details = details, QueryType = queryType, Input = input, Result = result },
            result.Succeeded ? StatusCodes.Status200OK : StatusCodes.Status400BadRequest), ct);
    }

    private static async Task<IResult> SignalAsync(string ns, string workflowId, string runId, HttpContext context, WorkflowActions actions, CancellationToken ct)
    {
        var target = Run(ns, workflowId, runId);
        if (await FormAsync(context) is not { } form)
        {
            return ExpiredForm(ns);
        }
        string? signalName = form["signalName"], input = form["input"];
        var result = await actions.SignalAsync(ns, target.Execution, signalName, input, ct);
        return result.Succeeded
            ? SeeOther($"{target.Url()}?done=signal&signal={Uri.EscapeDataString(signalName!.Trim())}")
            : Page<ActionPage>(new { Run = target, Action = "signal", Error = result.Error, SignalName = signalName, Input = input }, StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> CancelAsync(string ns, string workflowId, string runId, HttpContext context, WorkflowActions actions, CancellationToken ct)
    {
        var target = Run(ns, workflowId, runId);
        if (await FormAsync(context) is null)
        {
            return ExpiredForm(ns);
        }
        var result = await actions.CancelAsync(ns, target.Execution, ct);
        return result.Succeeded
            ? SeeOther($"{target.Url()}?done=cancel")
            : Page<ActionPage>(new { Run = target, Action = "cancel", Error = result.Error }, StatusCodes.Status400BadRequest);
    }

    private static async Task<IResult> TerminateAsync(string ns, string workflowId, string runId, HttpContext context, WorkflowActions actions, CancellationToken ct)
    {
        var target = Run(ns, workflowId, runId);
        if (await FormAsync(context) is not { } form)
        {
            return ExpiredForm(ns);
        }
        string? reason = form["reason"];
        var result = await actions.TerminateAsync(ns, target.Execution, reason, ct);
        return result.Succeeded
            ? SeeOther($"{target.Url()}?done=terminate")
            : Page<ActionPage>(new { Run = target, Action = "terminate", Error = result.Error, Reason = reason }, StatusCodes.Status400BadRequest);
    }

    /// <summary>Loads a run and renders a page of it, or the not-found page.</summary>
    private static async Task<IResult> RunPageAsync(TemporalGateway temporal, RunRef target, Func<WorkflowDetails, IResult> page, CancellationToken ct) =>
        await WorkflowDetails.LoadAsync(temporal, target.Namespace, target.WorkflowId, target.RunId, ct) is { } details
            ? page(details)
            : WorkflowNotFound(target);

    /// <summary>The posted form, or null when its antiforgery token is missing or invalid (nothing is then done).</summary>
    private static async Task<IFormCollection?> FormAsync(HttpContext context)
    {
        var antiforgery = context.RequestServices.GetRequiredService<IAntiforgery>();
        if (!context.Request.HasFormContentType || !await antiforgery.IsRequestValidAsync(context))
        {
            return null;
        }
        return await context.Request.ReadFormAsync(context.RequestAborted);
    }

    /// <summary>Turns Temporal's errors into pages: not found is a 404, anything else says what Temporal answered (503).</summary>
    private static async ValueTask<object?> ShowTemporalErrors(EndpointFilterInvocationContext context, EndpointFilterDelegate next)
    {
        try
        {
            return await next(context);
        }
        catch (RpcException e)
        {
            var temporal = context.HttpContext.RequestServices.GetRequiredService<TemporalGateway>();
            var ns = context.HttpContext.GetRouteValue("ns") as string;
            return TemporalErrors.IsNotFound(e)
                ? Message(StatusCodes.Status404NotFound, "Not found", e.Message, ns)
                : Message(StatusCodes.Status503ServiceUnavailable, "Temporal did not answer", TemporalErrors.Describe(e, temporal.Address), ns);
        }
    }

    private static RunRef Run(string ns, string workflowId, string runId) => new(ns, Unescape(workflowId), Unescape(runId));

    /// <summary>Routing leaves <c>%2F</c> encoded in a segment; a workflow id may contain '/'.</summary>
    private static string Unescape(string segment) => segment.Replace("%2F", "/", StringComparison.OrdinalIgnoreCase);

    private static RazorComponentResult<TPage> Page<TPage>(object parameters, int statusCode = StatusCodes.Status200OK)
        where TPage : Microsoft.AspNetCore.Components.IComponent =>
        new(parameters) { StatusCode = statusCode };

    private static RazorComponentResult<MessagePage> WorkflowNotFound(RunRef target) => Message(
        StatusCodes.Status404NotFound,
        "Workflow not found",
        target.RunId.Length == 0
            ? $"There is no workflow '{target.WorkflowId}' in namespace '{target.Namespace}'."
            : $"There is no run '{target.RunId}' of workflow '{target.WorkflowId}' in namespace '{target.Namespace}'.",
        target.Namespace);

    private static RazorComponentResult<MessagePage> ExpiredForm(string ns) => Message(
        StatusCodes.Status400BadRequest,
        "Form expired",
        "The form's security token is missing or no longer valid (the server may have restarted). Nothing was done; open the page again and resubmit.",
        ns);

    private static RazorComponentResult<MessagePage> Message(int statusCode, string heading, string text, string? ns = null) =>
        Page<MessagePage>(new { Heading = heading, Text = text, Namespace = ns }, statusCode);

    /// <summary>303: the browser follows with a GET, so reloading the page does not repeat the action.</summary>
    private static SeeOtherResult SeeOther(string url) => new(url);

    private sealed class SeeOtherResult(string url) : IResult
    {
        public Task ExecuteAsync(HttpContext httpContext)
        {
            httpContext.Response.StatusCode = StatusCodes.Status303SeeOther;
            httpContext.Response.Headers.Location = url;
            return Task.CompletedTask;
        }
    }
}
