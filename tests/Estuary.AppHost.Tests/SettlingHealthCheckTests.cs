using Aspire.Hosting;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace Estuary.AppHost.Tests;

public sealed class SettlingHealthCheckTests
{
    [Fact]
    public async Task CheckHealthAsync_InnerBecomesHealthyWithinPatience_AnswersHealthyAfterAskingAgain()
    {
        var inner = new ScriptedCheck(HealthStatus.Unhealthy, HealthStatus.Unhealthy, HealthStatus.Healthy);

        var result = await new SettlingHealthCheck(inner, TimeSpan.FromSeconds(30)).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Healthy, result.Status);
        Assert.Equal(3, inner.Calls);
    }

    [Fact]
    public async Task CheckHealthAsync_InnerNeverHealthy_AnswersItsLastUnhealthyResultOncePatienceIsSpent()
    {
        var inner = new ScriptedCheck(HealthStatus.Unhealthy);

        var result = await new SettlingHealthCheck(inner, SettlingHealthCheck.Step * 3).CheckHealthAsync(new HealthCheckContext());

        Assert.Equal(HealthStatus.Unhealthy, result.Status);
        Assert.Equal($"answer {inner.Calls}", result.Description);
        Assert.InRange(inner.Calls, 2, 3);
    }

    [Fact]
    public async Task CheckHealthAsync_Canceled_StopsAsking()
    {
        var inner = new ScriptedCheck(HealthStatus.Unhealthy);
        using var cancellation = new CancellationTokenSource();
        await cancellation.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(
            () => new SettlingHealthCheck(inner, TimeSpan.FromSeconds(30)).CheckHealthAsync(new HealthCheckContext(), cancellation.Token));
        Assert.Equal(1, inner.Calls);
    }

    /// <summary>Answers the given statuses in turn, then the last one forever.</summary>
    private sealed class ScriptedCheck(params HealthStatus[] answers) : IHealthCheck
    {
        public int Calls { get; private set; }

        public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
        {
            var status = answers[Math.Min(Calls, answers.Length - 1)];
            Calls++;
            return Task.FromResult(new HealthCheckResult(status, $"answer {Calls}"));
        }
    }
}
