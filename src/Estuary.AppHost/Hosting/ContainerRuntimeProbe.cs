using System.Diagnostics;

namespace Aspire.Hosting;

/// <summary>
/// Tells whether a container runtime answers, before the model is built: a container resource on a machine
/// without a runtime never starts, and everything that waits for it waits forever.
/// </summary>
internal static class ContainerRuntimeProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(3);

    private static readonly Lazy<bool> Healthy = new(Probe);

    /// <summary>Gets a value indicating whether the configured container runtime's daemon answers (probed once per process).</summary>
    public static bool IsHealthy => Healthy.Value;

    /// <summary>Gets the runtime Aspire uses: <c>ASPIRE_CONTAINER_RUNTIME</c> (or the older <c>DOTNET_ASPIRE_CONTAINER_RUNTIME</c>), else docker.</summary>
    public static string Runtime =>
        Environment.GetEnvironmentVariable("ASPIRE_CONTAINER_RUNTIME")
        ?? Environment.GetEnvironmentVariable("DOTNET_ASPIRE_CONTAINER_RUNTIME")
        ?? "docker";

    /// <summary>Finds an executable on PATH.</summary>
    /// <param name="name">The file name.</param>
    /// <returns>Its full path, or <c>null</c>.</returns>
    public static string? FindOnPath(string name) =>
        (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(directory => Path.Combine(directory, name))
            .FirstOrDefault(File.Exists);

    // A client without a daemon ("docker info" fails in well under a second) is as good as no runtime.
    private static bool Probe()
    {
        if (FindOnPath(Runtime) is not { } path)
        {
            return false;
        }

        try
        {
            using var process = Process.Start(new ProcessStartInfo(path, ["info", "--format", "{{.ServerVersion}}"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
            });
            if (process is null)
            {
                return false;
            }

            if (!process.WaitForExit(Timeout))
            {
                process.Kill(entireProcessTree: true);
                return false;
            }

            return process.ExitCode == 0;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return false;
        }
    }
}
