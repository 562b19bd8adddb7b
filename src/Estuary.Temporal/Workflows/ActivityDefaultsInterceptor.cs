using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Microsoft.Extensions.Options;
using Temporalio.Worker.Interceptors;
using Temporalio.Workflows;

namespace Estuary.Temporal.Workflows;

/// <summary>
/// Hands each <see cref="EstuaryWorkflow"/> instance its domain's <see cref="ActivityDefaultsOptions"/> before any of
/// its code (run method, signal, query or update handler) executes. Workflows cannot take constructor dependencies,
/// and reading configuration from workflow code would not be deterministic; this keeps both out of the workflow.
/// </summary>
public sealed class ActivityDefaultsInterceptor : IWorkerInterceptor
{
    private readonly Dictionary<string, ActivityDefaultsOptions> _defaultsByWorkflow = new(StringComparer.Ordinal);

    /// <summary>Initializes a new instance of the <see cref="ActivityDefaultsInterceptor"/> class.</summary>
    /// <param name="options">The per-domain defaults (named options, one per domain).</param>
    /// <param name="domains">The domains served by the worker.</param>
    public ActivityDefaultsInterceptor(IOptionsMonitor<ActivityDefaultsOptions> options, IEnumerable<DomainDescriptor> domains)
    {
        foreach (var domain in domains)
        {
            var defaults = options.Get(domain.Domain.Name);
            foreach (var workflow in domain.Workflows)
            {
                _defaultsByWorkflow[workflow.Name] = defaults;
            }
        }
    }

    /// <inheritdoc />
    public WorkflowInboundInterceptor InterceptWorkflow(WorkflowInboundInterceptor nextInterceptor) =>
        new Inbound(nextInterceptor, this);

    private void Apply()
    {
        if (Workflow.Instance is EstuaryWorkflow workflow && workflow.Defaults is null
            && _defaultsByWorkflow.TryGetValue(Workflow.Info.WorkflowType, out var defaults))
        {
            workflow.Defaults = defaults;
        }
    }

    private sealed class Inbound(WorkflowInboundInterceptor next, ActivityDefaultsInterceptor owner)
        : WorkflowInboundInterceptor(next)
    {
        public override Task<object?> ExecuteWorkflowAsync(ExecuteWorkflowInput input)
        {
            owner.Apply();
            return base.ExecuteWorkflowAsync(input);
        }

        public override Task HandleSignalAsync(HandleSignalInput input)
        {
            owner.Apply();
            return base.HandleSignalAsync(input);
        }

        public override object? HandleQuery(HandleQueryInput input)
        {
            owner.Apply();
            return base.HandleQuery(input);
        }

        public override void ValidateUpdate(HandleUpdateInput input)
        {
            owner.Apply();
            base.ValidateUpdate(input);
        }

        public override Task<object?> HandleUpdateAsync(HandleUpdateInput input)
        {
            owner.Apply();
            return base.HandleUpdateAsync(input);
        }
    }
}
