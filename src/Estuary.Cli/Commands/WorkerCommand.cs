using System.CommandLine;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Hosting;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using Microsoft.Extensions.Options;

namespace Estuary.Cli.Commands;

/// <summary>
/// <c>worker [--domains d1,d2] [--task-queue q]</c>: the seed's <c>start_worker</c> / <c>start_domain_workers</c>. Runs one
/// process serving the chosen domains (default: all) until Ctrl+C, with the same hosting as the per-domain worker projects:
/// one line once it polls; a database or Temporal that stays unreachable for <c>Estuary:Worker:StartupTimeout</c> is one
/// line and exit code 1. Its health endpoints listen on a free port unless <c>ASPNETCORE_URLS</c> says where.
/// </summary>
internal sealed class WorkerCommand
{
    private readonly Option<string?> _domains = new("--domains", "-d") { Description = "Comma-separated domains to serve (default: all)." };
    private readonly Option<string?> _taskQueue = new("--task-queue", "-q") { Description = "Poll this task queue instead of each domain's own." };

    public WorkerCommand(CommandContext context)
    {
        var temporal = new TemporalCommandOptions(context);
        Command = new Command("worker", "Run a worker for chosen domains (default: all) until stopped.") { _domains, _taskQueue };
        temporal.AddTo(Command);
        Command.SetAction(async (parse, cancellationToken) =>
        {
            var catalog = context.Catalog;
            var names = (parse.GetValue(_domains) ?? string.Join(',', catalog.Domains.Select(d => d.Domain.Name)))
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0)
            {
                throw new UsageException("Option '--domains' names no domain.");
            }

            var domains = names
                .Select(name => catalog.Find(name)?.Domain ?? throw new UsageException(
                    $"Unknown domain '{name}' in '--domains' (known: {context.DomainNames})."))
                .Distinct()
                .ToArray();
            var taskQueue = parse.GetValue(_taskQueue);
            if (taskQueue is not null && string.IsNullOrWhiteSpace(taskQueue))
            {
                throw new UsageException("Option '--task-queue' must not be empty.");
            }

            // The flags and Temporal's environment, resolved as for every command, become the worker's configuration.
            var connection = temporal.Resolve(parse);
            var builder = WebApplication.CreateBuilder();
            builder.Configuration.AddConfiguration(context.Configuration);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{EstuaryWorkerOptions.SectionName}:{nameof(EstuaryWorkerOptions.TaskQueue)}"] = taskQueue,
                [$"{TemporalConnectionOptions.SectionName}:{nameof(TemporalConnectionOptions.Address)}"] = connection.Address,
                [$"{TemporalConnectionOptions.SectionName}:{nameof(TemporalConnectionOptions.Namespace)}"] = connection.Namespace,
                [$"ConnectionStrings:{TemporalConnectionOptions.ConnectionStringName}"] = null,
            });
            if (string.IsNullOrWhiteSpace(builder.Configuration["urls"]))
            {
                // Health endpoints on a free port unless ASPNETCORE_URLS says where: several workers may run side by side.
                builder.WebHost.UseUrls("http://127.0.0.1:0");
            }

            builder.AddServiceDefaults();
            // One line per log record; the start-up's own verdict is this command's last line, not a log record too.
            builder.Logging.AddSimpleConsole(console => console.SingleLine = true);
            builder.Logging.AddFilter<ConsoleLoggerProvider>(EstuaryWorkerStatus.LogCategory, level => level is >= LogLevel.Warning and < LogLevel.Critical);
            try
            {
                builder.AddEstuaryWorker(domains);
            }
            catch (InvalidOperationException e)
            {
                throw new UsageException(e.Message);
            }

            await using var app = builder.Build();
            app.MapDefaultEndpoints();
            app.MapCodecServer();
            var status = app.Services.GetRequiredService<EstuaryWorkerStatus>();
            var announced = AnnounceAsync(status, context.Output);
            try
            {
                await app.RunAsync(cancellationToken);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                // Ctrl+C while the host was still starting: stopping is what was asked for.
            }
            catch (OptionsValidationException e)
            {
                throw new UsageException(string.Join(" ", e.Failures));
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new CommandFailedException($"The worker stopped: {e.Message.ReplaceLineEndings(" ")}", e);
            }

            await announced;
            if (status.Failure is { } failure)
            {
                throw new CommandFailedException(failure);
            }

            return EstuaryCommandLine.Success;
        });
    }

    public Command Command { get; }

    private static async Task AnnounceAsync(EstuaryWorkerStatus status, TextWriter output)
    {
        if (await status.Started)
        {
            await output.WriteLineAsync($"{status.Polling} Ctrl+C stops the worker.");
        }
    }
}
