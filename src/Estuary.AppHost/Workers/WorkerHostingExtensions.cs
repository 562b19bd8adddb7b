using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>Adds Estuary workers: one project per domain, each serving its health on an HTTP endpoint the AppHost gives it.</summary>
public static class WorkerHostingExtensions
{
    /// <summary>
    /// Adds a worker project without its launch profile (a fresh clone needs none): an HTTP endpoint chosen by Aspire
    /// serves <c>/health</c> (Temporal reachable, pollers running, database reachable), which is the resource's health check.
    /// A worker that crashes is restarted (<see cref="SupervisionExtensions.WithSupervision{T}"/>).
    /// </summary>
    /// <typeparam name="TProject">The worker project.</typeparam>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The resource name.</param>
    /// <returns>The worker.</returns>
    public static IResourceBuilder<ProjectResource> AddWorker<TProject>(this IDistributedApplicationBuilder builder, [ResourceName] string name)
        where TProject : IProjectMetadata, new() =>
        builder.AddProject<TProject>(name, options => options.ExcludeLaunchProfile = true)
            .WithHttpEndpoint(name: EstuaryEndpoints.WorkerHttp)
            .WithHttpHealthCheck(EstuaryEndpoints.WorkerHealthPath, endpointName: EstuaryEndpoints.WorkerHttp)
            .WithEnvironment(context =>
            {
                // The launch profile that would say so is excluded; a deployment sets its own environment.
                if (context.ExecutionContext.IsRunMode)
                {
                    context.EnvironmentVariables["DOTNET_ENVIRONMENT"] = builder.Environment.EnvironmentName;
                }
            })
            .WithSupervision();
}
