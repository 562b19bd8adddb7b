using Temporalio.Client;
using Temporalio.Common;

namespace Estuary.Tests.Infrastructure;

/// <summary>
/// The workflow histories recorded in the source tree (<c>&lt;Domain&gt;/Histories/*.json</c>) that the replay tests
/// replay against today's workflow code. Tests record them with <see cref="SaveAsync"/> when
/// <c>ESTUARY_RECORD_HISTORIES</c> names a directory to write to.
/// </summary>
internal static class RecordedHistories
{
    /// <summary>Gets the names (file names without extension) of a domain's recorded histories, in order.</summary>
    /// <param name="domainFolder">The test folder of the domain, e.g. <c>Payments</c>.</param>
    /// <returns>The names.</returns>
    public static TheoryData<string> Names(string domainFolder) =>
        [.. Directory.GetFiles(DirectoryOf(domainFolder), "*.json").Select(f => Path.GetFileNameWithoutExtension(f)).Order(StringComparer.Ordinal)];

    /// <summary>Reads a recorded history.</summary>
    /// <param name="domainFolder">The test folder of the domain.</param>
    /// <param name="name">The history's name.</param>
    /// <param name="workflowId">The workflow id to replay it under; by default its name.</param>
    /// <returns>The history.</returns>
    public static async Task<WorkflowHistory> ReadAsync(string domainFolder, string name, Func<WorkflowHistory, string?>? workflowId = null)
    {
        var json = await File.ReadAllTextAsync(Path.Combine(DirectoryOf(domainFolder), $"{name}.json"));
        return WorkflowHistory.FromJson(workflowId?.Invoke(WorkflowHistory.FromJson(name, json)) ?? name, json);
    }

    /// <summary>Saves a run's history to <c>$ESTUARY_RECORD_HISTORIES/{name}.json</c> when that variable is set; does
    /// nothing otherwise.</summary>
    /// <param name="handle">The run (a handle without run id: the latest run).</param>
    /// <param name="name">The file name, without extension.</param>
    /// <returns>A task completing once written.</returns>
    public static async Task SaveAsync(WorkflowHandle handle, string name)
    {
        var directory = Environment.GetEnvironmentVariable("ESTUARY_RECORD_HISTORIES");
        if (string.IsNullOrEmpty(directory))
        {
            return;
        }

        var history = await handle.FetchHistoryAsync();
        await File.WriteAllTextAsync(Path.Combine(directory, $"{name}.json"), history.ToJson());
    }

    // The recorded histories sit in the source tree, above the test binaries (bin/<configuration>/<framework>/).
    private static string DirectoryOf(string domainFolder)
    {
        for (var directory = new DirectoryInfo(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            var candidate = Path.Combine(directory.FullName, domainFolder, "Histories");
            if (Directory.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new DirectoryNotFoundException($"No {domainFolder}/Histories directory above {AppContext.BaseDirectory}");
    }
}
