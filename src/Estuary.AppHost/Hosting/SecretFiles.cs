using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Aspire.Hosting;

/// <summary>
/// Files through which a local run hands secret values (payload keys, the codec token, PostgreSQL's password) to its
/// resources, instead of their environment: Aspire shows every environment variable of a resource in the dashboard, and
/// the process's environment is readable in <c>/proc</c>. They live in <c>secrets/</c> of the state directory, readable
/// by the AppHost's user only, are written just before the resource that reads them starts, and are removed when the
/// AppHost stops.
/// </summary>
internal static class SecretFiles
{
    /// <summary>Gets the path of one secret file, and makes sure the files are removed when the application stops.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="name">The file's name.</param>
    /// <returns>An absolute path.</returns>
    public static string PathOf(IDistributedApplicationBuilder builder, string name)
    {
        var directory = Path.Combine(EstuaryState.Directory(builder), "secrets");
        if (!builder.Services.Any(s => s.ServiceType == typeof(IHostedService) && s.ImplementationInstance is Remover))
        {
            builder.Services.AddSingleton<IHostedService>(new Remover(directory));
        }

        return Path.Combine(directory, name);
    }

    /// <summary>Writes a secret file atomically, readable and writable by the current user only.</summary>
    /// <param name="path">The file, from <see cref="PathOf"/>.</param>
    /// <param name="content">What it holds.</param>
    public static void Write(string path, string content)
    {
        var directory = Path.GetDirectoryName(path)!;
        var temporary = $"{path}.{Guid.NewGuid():N}.tmp";
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write };
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        using (var writer = new StreamWriter(new FileStream(temporary, options)))
        {
            writer.Write(content);
        }

        File.Move(temporary, path, overwrite: true);
    }

    // A resource reads its file when it starts, so the files are not needed once the application stops.
    private sealed class Remover(string directory) : IHostedService
    {
        public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public Task StopAsync(CancellationToken cancellationToken)
        {
            if (Directory.Exists(directory))
            {
                Directory.Delete(directory, recursive: true);
            }

            return Task.CompletedTask;
        }
    }
}
