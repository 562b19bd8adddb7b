using System.Text.Json;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;
using Npgsql;
using Temporalio.Client;

namespace Estuary.AppHost.Tests;

[Collection(AppHostTestGroup.Name)]
public sealed class AppHostTests(AppHostFixture fixture)
{
    private static readonly TimeSpan HealthyTimeout = TimeSpan.FromSeconds(60);

    [Fact]
    public async Task StartAsync_LocalMode_EveryResourceHealthy()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
    }

    [Fact]
    public async Task RunExampleWorkflowCommand_NewEntity_WorkflowCompletesAndEntityProcessed()
    {
        await fixture.WaitForAllHealthyAsync(HealthyTimeout);
        var app = fixture.App;
        var database = $"{await app.GetConnectionStringAsync("example-db")};Pooling=false";
        var entityId = await InsertEntityAsync(database, $"apphost-test-{Guid.NewGuid():N}");

        // The dashboard's "Run ExampleWorkflow" command, with the entity id typed in.
        var worker = app.Services.GetRequiredService<DistributedApplicationModel>().Resources.Single(r => r.Name == "example-worker");
        var result = await app.Services.GetRequiredService<ResourceCommandService>().ExecuteCommandAsync(
            worker,
            WorkflowCommandExtensions.CommandName("ExampleWorkflow"),
            new InteractionInputCollection([new InteractionInput { Name = WorkflowCommandExtensions.ArgumentName, InputType = InputType.Text, Value = entityId.ToString(System.Globalization.CultureInfo.InvariantCulture) }]),
            CancellationToken.None);
        Assert.True(result.Success, result.Message);
        var workflowId = result.Data!.Value;

        var client = await TemporalClient.ConnectAsync(new TemporalClientConnectOptions((await app.GetConnectionStringAsync("temporal"))!));
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        var workflowResult = await client.GetWorkflowHandle(workflowId).GetResultAsync<JsonElement>(rpcOptions: new RpcOptions { CancellationToken = timeout.Token });

        Assert.Equal(entityId, workflowResult.GetProperty("EntityId").GetInt32());
        Assert.Equal("completed", workflowResult.GetProperty("Status").GetString());
        Assert.Equal("processed", await ReadStatusAsync(database, entityId));
    }

    private static async Task<int> InsertEntityAsync(string connectionString, string name)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var insert = new NpgsqlCommand("INSERT INTO example_entities (name, status) VALUES ($1, 'new') RETURNING id", connection)
        {
            Parameters = { new() { Value = name } },
        };
        return (int)(await insert.ExecuteScalarAsync())!;
    }

    private static async Task<string?> ReadStatusAsync(string connectionString, int entityId)
    {
        await using var connection = new NpgsqlConnection(connectionString);
        await connection.OpenAsync();
        await using var select = new NpgsqlCommand("SELECT status FROM example_entities WHERE id = $1", connection) { Parameters = { new() { Value = entityId } } };
        return (string?)await select.ExecuteScalarAsync();
    }
}
