using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>
/// Restarts resources that exit when nobody asked them to (a crash, <c>kill -9</c>): Aspire has no restart policy for
/// projects and executables. Configured by the <c>Estuary:Supervision</c> section (<see cref="SupervisionOptions"/>).
/// </summary>
public static class SupervisionExtensions
{
    /// <summary>The configuration section of <see cref="SupervisionOptions"/>.</summary>
    public const string SectionName = "Estuary:Supervision";

    /// <summary>
    /// Supervises a resource while the application runs: when it exits without a stop being asked for (the dashboard's
    /// Stop command, the application shutting down), it is started again after a back-off that doubles from
    /// <see cref="SupervisionOptions.InitialDelay"/>; after <see cref="SupervisionOptions.MaxRestarts"/> restarts within
    /// <see cref="SupervisionOptions.Window"/> it is left stopped. Each decision is one log line with the exit code.
    /// Nothing happens in publish mode or with <c>Estuary:Supervision:Enabled=false</c>.
    /// </summary>
    /// <typeparam name="T">The resource type.</typeparam>
    /// <param name="resource">The resource.</param>
    /// <returns>The resource.</returns>
    /// <exception cref="AppHostStartException">A value of the <c>Estuary:Supervision</c> section is invalid.</exception>
    public static IResourceBuilder<T> WithSupervision<T>(this IResourceBuilder<T> resource)
        where T : IResource
    {
        var builder = resource.ApplicationBuilder;
        if (!builder.ExecutionContext.IsRunMode)
        {
            return resource;
        }

        var options = SupervisionOptions.From(builder.Configuration.GetSection(SectionName));
        if (!options.Enabled)
        {
            return resource;
        }

        builder.Services.TryAddSingleton(options);
        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IHostedService, ResourceSupervisor>());
        return resource.WithAnnotation(new SupervisedAnnotation(), ResourceAnnotationMutationBehavior.Replace);
    }
}

/// <summary>Marks a resource the AppHost restarts when it exits unexpectedly (see <see cref="SupervisionExtensions.WithSupervision{T}"/>).</summary>
public sealed class SupervisedAnnotation : IResourceAnnotation;
