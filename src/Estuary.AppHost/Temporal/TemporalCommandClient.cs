using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.Configuration;
using Temporalio.Client;
using Temporalio.Exceptions;
using TemporalConnectionOptions = Estuary.Temporal.Configuration.TemporalConnectionOptions;

namespace Aspire.Hosting;

/// <summary>The AppHost's own Temporal client, for the dashboard commands: connected on first use to the Temporal resource,
/// with the options every Estuary client takes (<see cref="TemporalConnectionOptions.ToConnectOptions"/>) and the workers'
/// payload keys (<see cref="AppHostPayloadEncryption"/>).</summary>
/// <param name="temporal">The Temporal resource.</param>
/// <param name="configuration">The AppHost's configuration (its <c>Temporal</c> section and Temporal's environment apply
/// below the resource's connection string, as in a worker).</param>
internal sealed class TemporalCommandClient(IResourceWithConnectionString temporal, IConfiguration configuration)
{
    private readonly Lock _lock = new();
    private Task<(TemporalClient Client, string Namespace)>? _connecting;

    /// <summary>Gets the client, connecting it the first time (and again after a failed attempt).</summary>
    /// <param name="cancellationToken">Cancels the wait for the connection string.</param>
    /// <returns>The client and its namespace.</returns>
    public async Task<(TemporalClient Client, string Namespace)> GetAsync(CancellationToken cancellationToken)
    {
        Task<(TemporalClient, string)> connecting;
        lock (_lock)
        {
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                _connecting = ConnectAsync(cancellationToken);
            }

            connecting = _connecting;
        }

        return await connecting.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Runs what a dashboard command does in Temporal: with the client and its namespace, an <see cref="RpcOptions"/>
    /// carrying the command's cancellation, and a failure of Temporal, of the connection or of the worker's catalog
    /// (<see cref="TemporalException"/>, <see cref="InvalidOperationException"/>) as the command's failure message.
    /// </summary>
    /// <param name="context">The command's context.</param>
    /// <param name="command">What the command does.</param>
    /// <returns>The command's outcome.</returns>
    public async Task<ExecuteCommandResult> RunAsync(ExecuteCommandContext context, Func<TemporalClient, string, RpcOptions, Task<ExecuteCommandResult>> command)
    {
        try
        {
            var (client, ns) = await GetAsync(context.CancellationToken);
            return await command(client, ns, new RpcOptions { CancellationToken = context.CancellationToken });
        }
        catch (Exception e) when (e is TemporalException or InvalidOperationException)
        {
            return CommandResults.Failure(e.Message);
        }
    }

    private async Task<(TemporalClient, string)> ConnectAsync(CancellationToken cancellationToken)
    {
        var connectionString = await temporal.GetConnectionStringAsync(cancellationToken)
            ?? throw new InvalidOperationException($"Resource '{temporal.Name}' has no connection string yet.");
        var options = TemporalConnectionOptions.FromConfiguration(new ConfigurationBuilder()
            .AddConfiguration(configuration)
            .AddInMemoryCollection([new($"ConnectionStrings:{TemporalConnectionOptions.ConnectionStringName}", connectionString)])
            .Build());
        if (temporal.Annotations.OfType<AppHostPayloadEncryption>().LastOrDefault() is { } encryption)
        {
            options.Encryption = await encryption.ResolveAsync(cancellationToken);
        }

        return (await TemporalClient.ConnectAsync(options.ToConnectOptions()), options.Namespace);
    }
}
