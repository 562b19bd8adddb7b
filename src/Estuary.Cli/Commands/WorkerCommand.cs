using System.CommandLine;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Configuration;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.Hosting;

namespace Estuary.Cli.Commands;

/// <summary>
/// <c>worker [--domains d1,d2] [--task-queue q]</c>: the seed's <c>start_worker</c> / <c>start_domain_workers</c>. Runs one
/// process serving the chosen domains (default: all) until Ctrl+C, with the same hosting as the per-domain worker projects.
/// </summary>
internal sealed class WorkerCommand
{
    private readonly Option<string?> _domains = new("--domains", "-d") { Description = "Comma-separated domains to serve (default: all)." };
    private readonly Option<string?> _taskQueue = new("--task-queue", "-q") { Description = "Poll this task queue instead of each domain's own." };

    public WorkerCommand(DomainCatalog catalog, IConfiguration configuration)
    {
        Command = new Command("worker", "Run a worker for chosen domains (default: all) until stopped.") { _domains, _taskQueue };
        Command.SetAction(async (parse, cancellationToken) =>
        {
            var names = (parse.GetValue(_domains) ?? string.Join(',', catalog.Domains.Select(d => d.Domain.Name)))
                .Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
            if (names.Length == 0)
            {
                throw new UsageException("Option '--domains' names no domain.");
            }

            var domains = names
                .Select(name => catalog.Find(name)?.Domain ?? throw new UsageException(
                    $"Unknown domain '{name}' in '--domains' (known: {string.Join(", ", catalog.Domains.Select(d => d.Domain.Name))})."))
                .Distinct()
                .ToArray();
            var taskQueue = parse.GetValue(_taskQueue);
            if (taskQueue is not null && string.IsNullOrWhiteSpace(taskQueue))
            {
                throw new UsageException("Option '--task-queue' must not be empty.");
            }

            var builder = WebApplication.CreateBuilder();
            builder.Configuration.AddConfiguration(configuration);
            builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
            {
                [$"{EstuaryWorkerOptions.SectionName}:{nameof(EstuaryWorkerOptions.TaskQueue)}"] = taskQueue,
            });
            builder.AddServiceDefaults();
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
            await app.RunAsync(cancellationToken);
            return EstuaryCommandLine.Success;
        });
    }

    public Command Command { get; }
}
