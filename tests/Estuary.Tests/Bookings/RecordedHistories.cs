using Temporalio.Client;

namespace Estuary.Tests.Bookings;

/// <summary>
/// Writes the history of a run the tests just made to <c>$ESTUARY_RECORD_HISTORIES/{name}.json</c> when that variable
/// is set, which is how the histories in <c>Bookings/Histories/</c> (replayed by <see cref="BookingsReplayTests"/>) were
/// recorded; does nothing otherwise.
/// </summary>
internal static class RecordedHistories
{
    /// <summary>Saves a run's history, when recording.</summary>
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
}
