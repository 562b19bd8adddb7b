using System.Reflection;
using Estuary.Temporal.Activities;
using Estuary.Temporal.Configuration;
using Estuary.Temporal.Monitoring;
using Estuary.Temporal.Workflows;
using Estuary.Worker.Bookings;
using Estuary.Worker.Example;
using Estuary.Worker.Payments;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using Temporalio.Extensions.Hosting;

namespace Estuary.Tests.Temporal;

public sealed class WorkerConfigurationTests
{
    private static readonly string[] BookingsActivities =
        ["cancel_booking", "check_follow_up", "complete_booking", "confirm_booking", "reschedule_booking", "reserve_slot", "send_reminder"];

    private static readonly string[] PaymentsActivities =
        ["authorize_payment", "capture_payment", "list_recorded_payouts", "pay_out", "record_payment", "refund_payment", "void_authorization"];

    private const string Database = "Host=127.0.0.1;Port=1;Database=unused";

    [Fact]
    public void AddEstuaryWorker_UnknownDomain_FailsNamingTheKeyAndTheKnownDomains()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Build(new() { ["Estuary:Worker:Domains"] = "example,shipping" }));

        Assert.Equal(
            "Configuration key 'Estuary:Worker:Domains' names unknown domain 'shipping' (known: bookings, example, payments).",
            error.Message);
    }

    [Fact]
    public void AddEstuaryWorker_InvalidTemporalAddress_FailsNamingTheKey()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Build(new() { ["Temporal:Address"] = "no-port" }));

        Assert.Contains("'Temporal:Address'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddEstuaryWorker_EncryptionOnWithoutKey_FailsNamingTheMissingKey()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Build(new() { ["Estuary:Encryption:ActiveKey"] = "k2" }));

        Assert.Equal("Configuration key 'Estuary:Encryption:ActiveKey' names key 'k2', but 'Estuary:Encryption:Keys:k2' is not set.", error.Message);
    }

    [Fact]
    public void AddEstuaryWorker_ServedDomainWithoutConnectionString_FailsNamingTheKey()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Build(new() { ["ConnectionStrings:payments-db"] = null }));

        Assert.Contains("'ConnectionStrings:payments-db'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddEstuaryWorker_InvalidMigrationSwitch_FailsNamingTheKey()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Build(new() { ["Estuary:Worker:ApplyMigrations"] = "sometimes" }));

        Assert.Contains("'Estuary:Worker:ApplyMigrations'", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task StartAsync_InvalidActivityDefaults_FailsNamingTheKey()
    {
        using var host = Build(new() { ["Estuary:Domains:example:Activities:BackoffCoefficient"] = "0.5" });

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());

        Assert.Contains("Configuration key 'Estuary:Domains:example:Activities:BackoffCoefficient' must be at least 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddEstuaryWorker_ActivityDefaultsConfigured_AppliesThemToTheDomainOnly()
    {
        using var host = Build(new()
        {
            ["Estuary:Domains:example:Activities:StartToCloseTimeout"] = "00:00:45",
            ["Estuary:Domains:example:Activities:MaximumAttempts"] = "3",
            ["Estuary:Domains:example:Activities:NonRetryableErrorTypes:0"] = "EntityNotFound",
        });
        var defaults = host.Services.GetRequiredService<IOptionsMonitor<ActivityDefaultsOptions>>();

        var example = defaults.Get("example");
        Assert.Equal((TimeSpan.FromSeconds(45), 3, "EntityNotFound"), (example.StartToCloseTimeout, example.MaximumAttempts, Assert.Single(example.NonRetryableErrorTypes)));
        var payments = defaults.Get("payments");
        Assert.Equal((TimeSpan.FromMinutes(1), 5), (payments.StartToCloseTimeout, payments.MaximumAttempts));
    }

    [Fact]
    public void AddEstuaryWorker_NoSelection_RunsOneWorkerPerDomainOnItsOwnTaskQueue()
    {
        using var host = Build([]);

        foreach (var (queue, workflows, activities) in new[]
        {
            ("bookings", new[] { "BookingFollowUpWorkflow", "BookingWorkflow" }, BookingsActivities),
            ("example", ["ExampleWorkflow"], ["get_entity_details", "process_entity"]),
            ("payments", ["PayoutBatchWorkflow", "ProcessPaymentWorkflow", "RecordPaymentWorkflow", "RefundPaymentWorkflow"], PaymentsActivities),
        })
        {
            var options = WorkerOptions(host, queue);
            Assert.Equal(workflows, options.Workflows.Select(w => w.Name!).Order(StringComparer.Ordinal));
            Assert.Equal(activities, options.Activities.Select(a => a.Name!).Order(StringComparer.Ordinal));
            Assert.Equal(
                [typeof(HeartbeatInterceptor), typeof(MonitoringInterceptor), typeof(ActivityDefaultsInterceptor), typeof(TransactionalActivityInterceptor)],
                options.Interceptors!.Select(i => i.GetType()));
        }

        Assert.Equal(3, host.Services.GetServices<IHostedService>().OfType<TemporalWorkerService>().Count());
    }

    [Fact]
    public void AddEstuaryWorker_DomainsAndTaskQueueConfigured_RunsOneWorkerForThoseDomainsOnThatQueue()
    {
        using var host = Build(new()
        {
            ["Estuary:Worker:Domains:0"] = "example",
            ["Estuary:Worker:Domains:1"] = "payments",
            ["Estuary:Worker:TaskQueue"] = "shared",
            ["ConnectionStrings:bookings-db"] = null,
        });

        var options = WorkerOptions(host, "shared");
        Assert.Equal(
            ["ExampleWorkflow", "PayoutBatchWorkflow", "ProcessPaymentWorkflow", "RecordPaymentWorkflow", "RefundPaymentWorkflow"],
            options.Workflows.Select(w => w.Name!).Order(StringComparer.Ordinal));
        Assert.Equal(
            ["authorize_payment", "capture_payment", "get_entity_details", "list_recorded_payouts", "pay_out", "process_entity", "record_payment", "refund_payment", "void_authorization"],
            options.Activities.Select(a => a.Name!).Order(StringComparer.Ordinal));
        Assert.Single(host.Services.GetServices<IHostedService>().OfType<TemporalWorkerService>());
    }

    // The hosted worker reads its options by a name the SDK derives from the task queue with an internal helper.
    private static TemporalWorkerServiceOptions WorkerOptions(IHost host, string taskQueue)
    {
        var name = (string)typeof(TemporalWorkerServiceOptions)
            .GetMethod("GetUniqueOptionsName", BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static)!
            .Invoke(null, [taskQueue, null])!;
        return host.Services.GetRequiredService<IOptionsMonitor<TemporalWorkerServiceOptions>>().Get(name);
    }

    private static IHost Build(Dictionary<string, string?> settings)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        var configuration = new Dictionary<string, string?>
        {
            ["ConnectionStrings:example-db"] = Database,
            ["ConnectionStrings:bookings-db"] = Database,
            ["ConnectionStrings:payments-db"] = Database,
        };
        foreach (var (key, value) in settings)
        {
            configuration[key] = value;
        }

        builder.Configuration.AddInMemoryCollection(TestEncryption.Settings);
        builder.Configuration.AddInMemoryCollection(configuration);
        builder.AddEstuaryWorker(new ExampleDomain(), new BookingsDomain(), new PaymentsDomain());
        return builder.Build();
    }
}
