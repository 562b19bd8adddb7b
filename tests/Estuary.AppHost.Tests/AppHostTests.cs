namespace Estuary.AppHost.Tests;

[Collection(AppHostTestGroup.Name)]
public sealed class AppHostTests(AppHostFixture fixture)
{
    [Fact]
    public async Task StartAsync_LocalMode_EveryResourceHealthy()
    {
        await fixture.WaitForAllHealthyAsync(TimeSpan.FromSeconds(60));
    }
}
