using Estuary.Tests.Infrastructure;
using Estuary.Worker.Payments;
using Estuary.Worker.Payments.Providers;

namespace Estuary.Tests.Payments;

/// <summary>Starts a Payments worker for one test: its own task queue, the test class's database, retries fast
/// enough for tests, the provider failures the test injects, and no schedules.</summary>
internal static class PaymentsWorker
{
    /// <summary>Starts the worker.</summary>
    /// <param name="fixture">The end-to-end fixture.</param>
    /// <param name="testClass">The test class, whose database the worker uses.</param>
    /// <param name="failures">Provider failure rules.</param>
    /// <returns>The running worker.</returns>
    public static async Task<WorkerProcess> StartAsync(EndToEndFixture fixture, Type testClass, params Failure[] failures) =>
        await WorkerProcess.StartAsync(
            new PaymentsDomain(),
            fixture.Address,
            LocalPostgres.Pooled(await fixture.Postgres.DatabaseForAsync(testClass)),
            $"payments-{Guid.NewGuid():N}",
            Settings(failures));

    /// <summary>The worker's configuration besides the connection strings and task queue.</summary>
    /// <param name="failures">Provider failure rules.</param>
    /// <returns>Configuration keys and values.</returns>
    public static Dictionary<string, string?> Settings(params Failure[] failures)
    {
        var settings = new Dictionary<string, string?>
        {
            ["Estuary:Domains:payments:Activities:InitialInterval"] = "00:00:00.050",
            ["Estuary:Domains:payments:Activities:MaximumInterval"] = "00:00:00.200",
            ["Estuary:Domains:payments:Activities:StartToCloseTimeout"] = "00:00:10",

            // The nightly payout schedule is the schedule tests' own: kept out of the servers other tests share.
            ["Estuary:Worker:ReconcileSchedules"] = "false",
        };
        for (var i = 0; i < failures.Length; i++)
        {
            var (operation, reference, amountMinor, transientFailures, permanent) = failures[i];
            var rule = $"{PaymentProviderOptions.SectionPath}:Failures:{i}";
            settings[$"{rule}:Operation"] = operation;
            settings[$"{rule}:Reference"] = reference;
            settings[$"{rule}:AmountMinor"] = amountMinor?.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"{rule}:TransientFailures"] = transientFailures.ToString(System.Globalization.CultureInfo.InvariantCulture);
            settings[$"{rule}:Permanent"] = permanent ? "true" : "false";
        }

        return settings;
    }
}

/// <summary>A provider failure rule, as configuration gives it (see <c>ProviderFailureRule</c>).</summary>
/// <param name="Operation">The operation that fails, or every one.</param>
/// <param name="Reference">The reference or payee that fails, or every one.</param>
/// <param name="AmountMinor">The amount that fails, or every one.</param>
/// <param name="TransientFailures">Calls per idempotency key failing as unavailable before success.</param>
/// <param name="Permanent">Whether matching calls are declined.</param>
internal sealed record Failure(string? Operation = null, string? Reference = null, long? AmountMinor = null, int TransientFailures = 0, bool Permanent = false);
