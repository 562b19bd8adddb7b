using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Temporalio.Client;
using Temporalio.Extensions.Hosting;

namespace Estuary.Temporal.Hosting;

/// <summary>
/// The SDK's hosted worker for one task queue, held back until <see cref="WorkerStartup"/> has found the databases,
/// applied the migrations and reached Temporal; when the start gives up it never polls (the process is stopping).
/// </summary>
internal sealed class EstuaryWorkerService : TemporalWorkerService
{
    private readonly EstuaryWorkerStatus _status;

    [Microsoft.Extensions.DependencyInjection.ActivatorUtilitiesConstructor]
    public EstuaryWorkerService(
        TemporalWorkerServiceIdentifier identity,
        IOptionsMonitor<TemporalWorkerServiceOptions> optionsMonitor,
        EstuaryWorkerStatus status,
        ITemporalClient? existingClient = null,
        ILoggerFactory? loggerFactory = null)
            : base(identity, optionsMonitor, existingClient, loggerFactory)
    {
        _status = status;
        TaskQueue = identity.TaskQueue;
    }

    /// <summary>Gets the task queue this worker polls.</summary>
    public string TaskQueue { get; }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        bool started;
        try
        {
            started = await _status.Started.WaitAsync(stoppingToken);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        if (started)
        {
            await base.ExecuteAsync(stoppingToken);
        }
    }
}
