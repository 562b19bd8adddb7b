using System.Reflection;
using System.Runtime.Versioning;
using Aspire.Hosting.ApplicationModel;

namespace Aspire.Hosting;

/// <summary>
/// Starts a project resource from its build output instead of through <c>dotnet run --no-build</c>.
/// </summary>
/// <remarks>
/// In run mode Aspire starts every project with <c>dotnet run --project … --no-build</c>: the project is already built
/// by the AppHost's own build, yet each start evaluates it with MSBuild again, about 3 s of CPU per project measured
/// here — for four projects on a two-core machine, the largest single part of the AppHost's start-up. The executable
/// <c>dotnet run</c> ends up starting is known: the project's apphost in <c>bin/&lt;configuration&gt;/&lt;tfm&gt;</c>, the
/// configuration being the AppHost's own (which Aspire also passes to <c>dotnet run</c>). An
/// <see cref="ExecutableAnnotation"/> on the project resource makes Aspire start that file directly, in the project's
/// directory (the content root <c>dotnet run</c> would give it). The resource stays a project: the dashboard,
/// references, OpenTelemetry settings and the publish manifest are unchanged. Under an IDE debug session, in publish
/// mode, or when the file is not there (a custom output path), Aspire's own launch is kept.
/// </remarks>
public static class BuiltOutputLaunchExtensions
{
    /// <summary>Starts the project from its build output in run mode (see the type's remarks).</summary>
    /// <typeparam name="T">The project resource type.</typeparam>
    /// <param name="builder">The project resource.</param>
    /// <param name="appHostAssembly">The AppHost's assembly, whose configuration and target framework the project was built with.</param>
    /// <returns>The same resource.</returns>
    public static IResourceBuilder<T> WithBuiltOutputLaunch<T>(this IResourceBuilder<T> builder, Assembly appHostAssembly)
        where T : ProjectResource
    {
        var app = builder.ApplicationBuilder;
        if (!app.ExecutionContext.IsRunMode || !string.IsNullOrEmpty(app.Configuration["DEBUG_SESSION_PORT"]))
        {
            return builder;
        }

        var projectPath = builder.Resource.GetProjectMetadata().ProjectPath;
        var executable = BuiltExecutable(projectPath, appHostAssembly);
        return executable is null
            ? builder
            : builder.WithAnnotation(
                new ExecutableAnnotation { Command = executable, WorkingDirectory = Path.GetDirectoryName(projectPath)! },
                ResourceAnnotationMutationBehavior.Replace);
    }

    /// <summary>The apphost executable a build of the project with the AppHost's configuration produced, if it exists.</summary>
    /// <param name="projectPath">The project file.</param>
    /// <param name="appHostAssembly">The AppHost's assembly.</param>
    /// <returns>The executable's path, or <see langword="null"/>.</returns>
    public static string? BuiltExecutable(string projectPath, Assembly appHostAssembly)
    {
        var configuration = appHostAssembly.GetCustomAttribute<AssemblyConfigurationAttribute>()?.Configuration;
        var framework = appHostAssembly.GetCustomAttribute<TargetFrameworkAttribute>()?.FrameworkName;
        if (string.IsNullOrEmpty(configuration) || framework is null)
        {
            return null;
        }

        var version = new FrameworkName(framework).Version;
        var executable = Path.Combine(
            Path.GetDirectoryName(projectPath)!,
            "bin",
            configuration,
            $"net{version.Major}.{version.Minor}",
            Path.GetFileNameWithoutExtension(projectPath) + (OperatingSystem.IsWindows() ? ".exe" : string.Empty));
        return File.Exists(executable) ? executable : null;
    }
}
