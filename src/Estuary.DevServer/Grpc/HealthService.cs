using Estuary.DevServer.Engine;
using Grpc.AspNetCore.HealthChecks;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Estuary.DevServer.Grpc;

/// <summary>
/// The standard gRPC health service (<c>grpc.health.v1.Health</c>, Check and Watch) that clients and load balancers
/// probe: the server as a whole (service "") and each Temporal service it serves report SERVING while the engine runs
/// and NOT_SERVING once it stops; any other service name answers NOT_FOUND, as in Temporal.
/// </summary>
internal static class HealthService
{
    private const string EngineCheck = "engine";

    private static readonly string[] ServedServices =
    [
        "",
        Temporalio.Api.WorkflowService.V1.ServiceReflection.Descriptor.Services[0].FullName,
        Temporalio.Api.OperatorService.V1.ServiceReflection.Descriptor.Services[0].FullName,
    ];

    public static void Add(IServiceCollection services)
    {
        services.AddGrpcHealthChecks(options =>
        {
            options.Services.Clear();
            foreach (var service in ServedServices)
            {
                options.Services.Map(service, check => check.Name == EngineCheck);
            }
        }).AddCheck<EngineHealthCheck>(EngineCheck);
    }

    /// <summary>Healthy while the engine serves calls; unhealthy from the moment it starts stopping.</summary>
    private sealed class EngineHealthCheck(DevServerEngine engine) : IHealthCheck
    {
        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default) =>
            Task.FromResult(engine.Stopping.IsCancellationRequested
                ? HealthCheckResult.Unhealthy("The server is stopping.")
                : HealthCheckResult.Healthy());
    }
}
