using Estuary.Temporal.Activities;
using Estuary.Temporal.Data;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Monitoring;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Temporalio.Activities;
using Temporalio.Extensions.Hosting;
using Temporalio.Testing;
using Temporalio.Worker.Interceptors;

namespace Estuary.Tests.Infrastructure;

/// <summary>
/// One domain registered as a worker registers it (<c>AddEstuaryDomain</c>), against a real database, and a way to run
/// its activities with <see cref="ActivityEnvironment"/> through the same interceptors and DI scoping a worker uses.
/// </summary>
public sealed class DomainHarness : IAsyncDisposable
{
    private readonly IHost _host;
    private readonly DomainDescriptor _domain;

    private DomainHarness(IHost host, DomainDescriptor domain)
    {
        _host = host;
        _domain = domain;
    }

    /// <summary>Gets the root service provider.</summary>
    public IServiceProvider Services => _host.Services;

    /// <summary>Registers a domain against a database and applies its migrations.</summary>
    /// <param name="domain">The domain.</param>
    /// <param name="connectionString">The domain's database.</param>
    /// <param name="logs">Receives every log entry, when given.</param>
    /// <returns>The harness.</returns>
    public static async Task<DomainHarness> CreateAsync(EstuaryDomain domain, string connectionString, RecordingLoggerProvider? logs = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(new Dictionary<string, string?>
        {
            [$"ConnectionStrings:{domain.ConnectionName}"] = connectionString,
        });
        builder.Logging.SetMinimumLevel(LogLevel.Warning);
        if (logs is not null)
        {
            builder.Logging.AddProvider(logs).AddFilter<RecordingLoggerProvider>(typeof(MonitoringInterceptor).FullName, LogLevel.Debug);
        }

        builder.AddEstuaryDomain(domain);
        var harness = new DomainHarness(builder.Build(), DomainCatalog.Discover(domain));
        await using var scope = harness.Services.CreateAsyncScope();
        await harness.DbContext(scope).Database.MigrateAsync();
        return harness;
    }

    /// <summary>Gets the domain's context from a scope.</summary>
    /// <param name="scope">A scope of <see cref="Services"/>.</param>
    /// <returns>The context.</returns>
    public EstuaryDbContext DbContext(AsyncServiceScope scope) =>
        (EstuaryDbContext)scope.ServiceProvider.GetRequiredService(_domain.Domain.DbContextType!);

    /// <summary>Runs one activity attempt the way a worker does: monitoring and transactional interceptors, one DI
    /// scope per execution, the SDK hosting's activity definition.</summary>
    /// <typeparam name="TResult">The activity's result type.</typeparam>
    /// <param name="info">The activity info (workflow id, run id, activity id, type and attempt matter).</param>
    /// <param name="args">The activity's arguments.</param>
    /// <returns>The activity's result.</returns>
    public Task<TResult> RunActivityAsync<TResult>(ActivityInfo info, params object?[] args)
    {
        var activity = _domain.Activities.Single(a => a.Name == info.ActivityType);
        var definition = Services.CreateTemporalActivityDefinition(activity.DeclaringType, activity.Method);
        IWorkerInterceptor[] interceptors =
        [
            new MonitoringInterceptor(Services.GetRequiredService<ILoggerFactory>(), [_domain]),
            new TransactionalActivityInterceptor(Services, [_domain]),
        ];
        ActivityInboundInterceptor chain = new InvokeDefinition();
        foreach (var interceptor in interceptors.Reverse())
        {
            chain = interceptor.InterceptActivity(chain);
        }

        var environment = new ActivityEnvironment { Info = info };
        return environment.RunAsync(async () => (TResult)(await chain.ExecuteActivityAsync(new ExecuteActivityInput(definition, args, null)))!);
    }

    /// <summary>Builds the info of an activity attempt.</summary>
    /// <param name="activityType">The activity type name.</param>
    /// <param name="workflowId">The workflow id.</param>
    /// <param name="attempt">The attempt, from 1.</param>
    /// <returns>The info.</returns>
    public ActivityInfo Info(string activityType, string workflowId, int attempt = 1) =>
        ActivityEnvironment.DefaultInfo with
        {
            ActivityType = activityType,
            ActivityId = "2",
            WorkflowId = workflowId,
            WorkflowRunId = "run-" + workflowId,
            WorkflowType = "TestWorkflow",
            TaskQueue = _domain.Domain.DefaultTaskQueue,
            Attempt = attempt,
        };

    /// <inheritdoc />
    public async ValueTask DisposeAsync()
    {
        await _host.StopAsync();
        _host.Dispose();
    }

    // The end of the chain: what the worker itself does, invoke the definition.
    private sealed class InvokeDefinition() : ActivityInboundInterceptor(null!)
    {
        public override Task<object?> ExecuteActivityAsync(ExecuteActivityInput input) => input.Activity.InvokeAsync(input.Args);
    }
}
