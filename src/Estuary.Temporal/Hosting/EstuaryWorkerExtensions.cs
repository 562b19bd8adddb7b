using Estuary.Temporal.Activities;
using Estuary.Temporal.Commands;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Domains;
using Estuary.Temporal.Encryption;
using Estuary.Temporal.Hosting;
using Estuary.Temporal.Monitoring;
using Estuary.Temporal.Workflows;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ITemporalClient = Temporalio.Client.ITemporalClient;
using TemporalClientConnectOptions = Temporalio.Client.TemporalClientConnectOptions;
using Temporalio.Api.Enums.V1;
using Temporalio.Extensions.Hosting;
using Temporalio.Runtime;

namespace Microsoft.Extensions.Hosting;

/// <summary>Hosts Estuary domains as Temporal workers (the seed's <c>start_worker</c> / <c>start_domain_workers</c>).</summary>
public static class EstuaryWorkerExtensions
{
    /// <summary>The name of the health check reporting whether Temporal answers.</summary>
    public const string TemporalHealthCheckName = "temporal";

    /// <summary>The name of the health check reporting whether the workers run.</summary>
    public const string WorkerHealthCheckName = "temporal-worker";

    /// <summary>
    /// Makes this process a worker for the given domains: discovers their workflows and activities; serves the domains
    /// and task queues configured under <c>Estuary:Worker</c> (see <see cref="EstuaryWorkerOptions"/>); registers each
    /// served domain (<see cref="AddEstuaryDomain{TBuilder}"/>); connects to Temporal as configured by
    /// <see cref="TemporalConnectionOptions"/>, encrypting payloads as configured under <c>Estuary:Encryption</c>
    /// (<see cref="Estuary.Temporal.Encryption.EncryptionOptions"/>); once the host has started, waits for the served domains' databases, applies
    /// their migrations (unless <c>Estuary:Worker:ApplyMigrations</c> is false) and waits for Temporal, each for at most
    /// <c>Estuary:Worker:StartupTimeout</c> (then the process exits with code 1), and reports it in
    /// <see cref="EstuaryWorkerStatus"/>; then keeps the served domains' declared schedules in Temporal
    /// (<see cref="ScheduleReconciler"/>, unless <c>Estuary:Worker:ReconcileSchedules</c> is false); runs one hosted worker per
    /// task queue with one DI scope per activity execution and the tracing (from the client), heartbeat, monitoring,
    /// activity-defaults and transactional interceptors, the
    /// SDK's metrics bridged to <see cref="EstuaryTelemetry.SdkMeterName"/> (or as <see cref="SdkMetricsSetting.ConfigurationKey"/> says); adds the health checks
    /// <see cref="TemporalHealthCheckName"/> and <see cref="WorkerHealthCheckName"/>; registers the served workflows' <see cref="WorkflowCatalog"/>, which
    /// <c>MapWorkflowCatalog</c> serves.
    /// </summary>
    /// <typeparam name="TBuilder">The host builder type.</typeparam>
    /// <param name="builder">The host builder.</param>
    /// <param name="domains">Every domain this process knows (configuration may select some of them).</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidOperationException">The configuration is invalid; the message names the key.</exception>
    public static TBuilder AddEstuaryWorker<TBuilder>(this TBuilder builder, params EstuaryDomain[] domains)
        where TBuilder : IHostApplicationBuilder
    {
        var catalog = new DomainCatalog(domains);
        var worker = EstuaryWorkerOptions.FromConfiguration(builder.Configuration, catalog);
        var temporal = TemporalConnectionOptions.FromConfiguration(builder.Configuration);
        temporal.Encryption?.Validate();
        var served = worker.ServedDomains(catalog);
        var runtimeOptions = TemporalSdkMetrics.RuntimeOptions(builder.Configuration);

        builder.Services.TryAddSingleton(catalog);
        builder.Services.AddSingleton(Options.Options.Create(worker));
        builder.Services.TryAddSingleton(temporal);
        foreach (var domain in served)
        {
            builder.AddEstuaryDomain(domain.Domain);
        }

        // The client's tracing interceptor is a worker interceptor too: the workers built on this client use it,
        // outermost, so the monitoring logs run inside the spans. Its runtime sends the SDK's metrics where
        // Estuary:Telemetry:SdkMetrics says, and the core's log lines to this host's loggers: created by the host's
        // services, so a runtime never logs to another host's providers.
        TemporalCoreLogs.AddDefaultLevel(builder.Services);
        builder.Services.TryAddSingleton(services => new TemporalRuntime(TemporalCoreLogs.ForwardTo(runtimeOptions, services.GetRequiredService<ILoggerFactory>())));
        // One identity, set on the client and on every worker, so the health check looks for the name the workers
        // really poll with (the SDK's own default form, pid@host).
        var identity = $"{Environment.ProcessId}@{System.Net.Dns.GetHostName()}";
        builder.Services.AddTemporalClient(client =>
        {
            client.Identity = identity;
            var connect = temporal.ToConnectOptions(catalog);
            client.TargetHost = connect.TargetHost;
            client.Namespace = connect.Namespace;
            client.ApiKey = connect.ApiKey;
            client.Tls = connect.Tls;
            client.RpcMetadata = connect.RpcMetadata;
            client.GrpcCompression = connect.GrpcCompression;
            client.Interceptors = connect.Interceptors;
            client.DataConverter = connect.DataConverter;
        });
        builder.Services.AddOptions<TemporalClientConnectOptions>().Configure<TemporalRuntime>((client, runtime) => client.Runtime = runtime);

        // The workers wait for the start-up to find the databases, migrate them and reach Temporal.
        var status = new EstuaryWorkerStatus();
        var taskQueues = worker.TaskQueues(catalog);

        // What MapWorkflowCatalog serves: the served workflows, for the AppHost's dashboard commands.
        builder.Services.AddSingleton(WorkflowCatalog.Of(taskQueues));
        builder.Services.AddSingleton(new WorkflowCatalogBinder(served));
        builder.Services.AddSingleton(status);
        builder.Services.AddSingleton<IHostedService>(sp => new WorkerStartup(
            sp, served, worker, taskQueues, temporal, status, sp.GetRequiredService<ILogger<WorkerStartup>>()));

        if (worker.ReconcileSchedules)
        {
            var scheduled = taskQueues.SelectMany(queue => queue.Value.Select(domain => (domain, queue.Key))).ToList();
            builder.Services.AddSingleton(sp => new ScheduleReconciler(
                sp.GetRequiredService<ITemporalClient>(), scheduled, status, sp.GetRequiredService<ILogger<ScheduleReconciler>>()));
            builder.Services.AddHostedService(sp => sp.GetRequiredService<ScheduleReconciler>());
        }

        foreach (var (taskQueue, queueDomains) in taskQueues)
        {
            // What AddHostedTemporalWorker(taskQueue) registers, with the worker held back until the start-up is done.
            builder.Services.AddSingleton<IHostedService>(sp => ActivatorUtilities.CreateInstance<EstuaryWorkerService>(sp, new TemporalWorkerServiceIdentifier(taskQueue, null!, false)));
            var hosted = new TemporalWorkerServiceOptionsBuilder(taskQueue, builder.Services).ConfigureOptions(options => options.TaskQueue = taskQueue);
            foreach (var domain in queueDomains)
            {
                foreach (var workflow in domain.Workflows)
                {
                    hosted.AddWorkflow(workflow.Type);
                }

                foreach (var activityClass in domain.ActivityClasses)
                {
                    hosted.AddScopedActivities(activityClass);
                }

                // AddScopedActivities registers every activity of a class, static ones included.
                foreach (var staticClass in domain.Activities.Select(a => a.DeclaringType).Distinct().Except(domain.ActivityClasses))
                {
                    hosted.AddStaticActivities(staticClass);
                }
            }

            hosted.ConfigureOptions().Configure<IServiceProvider>((options, services) =>
            {
                options.Identity = identity;
                options.Interceptors =
                [
                    new HeartbeatInterceptor(),
                    new MonitoringInterceptor(services.GetRequiredService<ILoggerFactory>(), queueDomains),
                    new ActivityDefaultsInterceptor(services.GetRequiredService<IOptionsMonitor<ActivityDefaultsOptions>>(), queueDomains),
                    new TransactionalActivityInterceptor(services, queueDomains),
                ];
            });
        }

        var pollers = new WorkerPollers(identity, temporal.Namespace, taskQueues
            .Select(q => new WorkerPollers.Queue(q.Key, [
                .. q.Value.Any(d => d.Workflows.Count > 0) ? [TaskQueueType.Workflow] : Array.Empty<TaskQueueType>(),
                .. q.Value.Any(d => d.Activities.Count > 0) ? [TaskQueueType.Activity] : Array.Empty<TaskQueueType>(),
            ]))
            .ToList());
        builder.Services.AddSingleton(pollers);
        builder.Services.AddSingleton(sp => new WorkerHealthCheck(
            sp.GetServices<IHostedService>(), status, pollers, WorkerHealthCheck.Describe(sp.GetRequiredService<ITemporalClient>())));
        builder.Services.AddHealthChecks()
            .Add(new HealthCheckRegistration(TemporalHealthCheckName, sp => new TemporalHealthCheck(sp.GetRequiredService<ITemporalClient>()), failureStatus: null, tags: null))
            .Add(new HealthCheckRegistration(WorkerHealthCheckName, sp => sp.GetRequiredService<WorkerHealthCheck>(), failureStatus: null, tags: null));
        return builder;
    }

    /// <summary>
    /// Maps a worker's codec endpoints under <see cref="CodecServerEndpoints.DefaultPrefix"/> with the keys of the worker's own client
    /// (<see cref="TemporalConnectionOptions.Encryption"/>) and <see cref="CodecServerOptions"/> from configuration, when
    /// payloads are encrypted and an access token is configured; otherwise maps nothing.
    /// </summary>
    /// <param name="endpoints">The worker's endpoints (after <c>AddEstuaryWorker</c>).</param>
    /// <returns>The same endpoints.</returns>
    public static IEndpointRouteBuilder MapCodecServer(this IEndpointRouteBuilder endpoints)
    {
        var services = endpoints.ServiceProvider;
        var options = CodecServerOptions.FromConfiguration(services.GetRequiredService<IConfiguration>());
        if (services.GetService<TemporalConnectionOptions>()?.Encryption?.CreateCodec() is { } codec && !string.IsNullOrEmpty(options.AccessToken))
        {
            endpoints.MapCodecServer(codec, options, CodecServerEndpoints.DefaultPrefix);
        }

        return endpoints;
    }

    /// <summary>
    /// Registers what one domain needs in a process, without any worker: its database (for an
    /// <see cref="EstuaryDomain{TContext}"/>, the Aspire way from <c>ConnectionStrings:{name}-db</c>), its own services
    /// (<see cref="EstuaryDomain.ConfigureServices"/>), its activity classes as scoped services, and its validated
    /// activity defaults (<see cref="ActivityDefaultsOptions"/>, named after the domain).
    /// </summary>
    /// <typeparam name="TBuilder">The host builder type.</typeparam>
    /// <param name="builder">The host builder.</param>
    /// <param name="domain">The domain.</param>
    /// <returns>The same builder.</returns>
    /// <exception cref="InvalidOperationException">The domain has a database but no connection string.</exception>
    public static TBuilder AddEstuaryDomain<TBuilder>(this TBuilder builder, EstuaryDomain domain)
        where TBuilder : IHostApplicationBuilder
    {
        if (domain.DbContextType is not null && string.IsNullOrWhiteSpace(builder.Configuration.GetConnectionString(domain.ConnectionName)))
        {
            throw new InvalidOperationException(
                $"Configuration key 'ConnectionStrings:{domain.ConnectionName}' is missing: domain '{domain.Name}' needs its PostgreSQL database.");
        }

        domain.AddDatabase(builder);
        domain.ConfigureServices(builder);
        builder.Services.TryAddSingleton(TimeProvider.System);
        foreach (var activityClass in DomainCatalog.Discover(domain).ActivityClasses)
        {
            builder.Services.TryAddScoped(activityClass);
        }

        builder.Services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<ActivityDefaultsOptions>, ActivityDefaultsOptionsValidator>());
        builder.Services.AddOptions<ActivityDefaultsOptions>(domain.Name)
            .Configure(domain.ConfigureActivityDefaults)
            .Bind(builder.Configuration.GetSection(ActivityDefaultsOptions.SectionPath(domain.Name)))
            .ValidateOnStart();
        return builder;
    }
}
