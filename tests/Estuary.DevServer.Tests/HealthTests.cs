using Grpc.Health.V1;

namespace Estuary.DevServer.Tests;

/// <summary>The standard gRPC health service, which clients, load balancers and the SDK's health check probe.</summary>
[Collection(ServerGroup.Name)]
public sealed class HealthTests(ServerFixture fixture)
{
    private const string Health = "grpc.health.v1.Health";

    [Fact]
    public async Task CheckHealth_SdkConnection_ReportsServing()
    {
        // The SDK asks for temporal.api.workflowservice.v1.WorkflowService.
        Assert.True(await fixture.Client.Connection.CheckHealthAsync());
    }

    [Theory]
    [InlineData("")]
    [InlineData("temporal.api.workflowservice.v1.WorkflowService")]
    public async Task Check_ServedService_Serving(string service)
    {
        using var raw = new RawGrpc(fixture.Address);
        var response = await raw.CallAsync<HealthCheckResponse>(Health, "Check", new HealthCheckRequest { Service = service });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, response.Status);
    }

    [Fact]
    public async Task Check_UnknownService_NotFound()
    {
        using var raw = new RawGrpc(fixture.Address);
        var error = await Assert.ThrowsAsync<InvalidOperationException>(() =>
            raw.CallAsync<HealthCheckResponse>(Health, "Check", new HealthCheckRequest { Service = "no.such.Service" }));
        Assert.Contains("gRPC status 5", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_WorkflowService_FirstAnswerIsServing()
    {
        using var raw = new RawGrpc(fixture.Address);
        var first = await raw.FirstStreamedAsync<HealthCheckResponse>(Health, "Watch",
            new HealthCheckRequest { Service = "temporal.api.workflowservice.v1.WorkflowService" });
        Assert.Equal(HealthCheckResponse.Types.ServingStatus.Serving, first.Status);
    }
}
