using System.Diagnostics;
using System.Text.Json;
using Estuary.Testing;

namespace Estuary.Monitoring.Bench;

/// <summary>
/// The bench's OTLP receiver (<see cref="OtlpReceiver"/>, keeping nothing) in a process of its own, this executable run
/// with <see cref="Argument"/>, as the Aspire dashboard receives a worker's telemetry in a process of its own: the bench
/// process's CPU is then the workers' and their clients', and the receiver's CPU is read apart (<see cref="CpuTime"/>).
/// It still shares the machine's cores, as the dashboard does on a developer's machine. The child answers each line
/// on its standard input with its counts (<see cref="Counts"/>) as one JSON line, and stops when the input closes.
/// </summary>
internal sealed class ReceiverProcess : IAsyncDisposable
{
    /// <summary>The argument that makes this executable serve as the receiver.</summary>
    public const string Argument = "--otlp-receiver";

    private readonly Process _process;
    private readonly SemaphoreSlim _exchange = new(1, 1);

    private ReceiverProcess(Process process, string endpoint)
    {
        _process = process;
        Endpoint = endpoint;
    }

    /// <summary>Gets the receiver's endpoint, <c>http://127.0.0.1:port</c>.</summary>
    public string Endpoint { get; }

    /// <summary>Gets the receiver's process id.</summary>
    public int ProcessId => _process.Id;

    /// <summary>Gets the CPU time the receiver's process has used so far.</summary>
    public TimeSpan CpuTime
    {
        get
        {
            _process.Refresh();
            return _process.TotalProcessorTime;
        }
    }

    /// <summary>Starts the receiver's process and waits for its endpoint.</summary>
    /// <param name="countItems">Whether it decodes every export to count its items by scope (<c>--inventory</c>).</param>
    /// <returns>The running receiver.</returns>
    /// <exception cref="InvalidOperationException">The process ended without naming its endpoint.</exception>
    public static async Task<ReceiverProcess> StartAsync(bool countItems)
    {
        var start = new ProcessStartInfo(Environment.ProcessPath!)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add(Argument);
        if (countItems)
        {
            start.ArgumentList.Add("--inventory");
        }

        var process = Process.Start(start)!;
        var endpoint = await process.StandardOutput.ReadLineAsync()
            ?? throw new InvalidOperationException($"The OTLP receiver's process ended with exit code {(process.WaitForExit(5000) ? process.ExitCode : -1)} before naming its endpoint.");
        return new ReceiverProcess(process, endpoint);
    }

    /// <summary>Serves as the receiver in this process until standard input closes (the child's side).</summary>
    /// <param name="countItems">Whether to decode every export to count its items by scope.</param>
    /// <returns>The exit code.</returns>
    public static async Task<int> ServeAsync(bool countItems)
    {
        await using var receiver = await OtlpReceiver.StartAsync(keepExports: false, countItems: countItems);
        Console.WriteLine(receiver.Endpoint);
        while (await Console.In.ReadLineAsync() is not null)
        {
            var signals = Enum.GetValues<OtlpSignal>();
            Console.WriteLine(JsonSerializer.Serialize(new Counts(
                receiver.Requests,
                [.. signals.Select(receiver.BytesOf)],
                [.. signals.Select(receiver.ItemsByScope)])));
        }

        return 0;
    }

    /// <summary>Reads the receiver's counts so far.</summary>
    /// <returns>Requests, bytes and items by scope per signal.</returns>
    /// <exception cref="InvalidOperationException">The receiver's process has ended.</exception>
    public async Task<Counts> CountsAsync()
    {
        await _exchange.WaitAsync();
        try
        {
            await _process.StandardInput.WriteLineAsync();
            await _process.StandardInput.FlushAsync();
            var line = await _process.StandardOutput.ReadLineAsync() ?? throw new InvalidOperationException("The OTLP receiver's process has ended.");
            return JsonSerializer.Deserialize<Counts>(line)!;
        }
        finally
        {
            _exchange.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        _process.StandardInput.Close();
        await _process.WaitForExitAsync();
        _process.Dispose();
        _exchange.Dispose();
    }

    /// <summary>What the receiver has received so far.</summary>
    /// <param name="Requests">Export requests.</param>
    /// <param name="Bytes">Bytes of request bodies, by <see cref="OtlpSignal"/>.</param>
    /// <param name="Items">Items by instrumentation scope, by <see cref="OtlpSignal"/> (empty unless counting items).</param>
    public sealed record Counts(long Requests, long[] Bytes, Dictionary<string, long>[] Items);
}
