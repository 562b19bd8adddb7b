using Estuary.DevServer.Tests.Workflows;
using Temporalio.Api.Enums.V1;
using Temporalio.Client;
using Temporalio.Common;
using Temporalio.Exceptions;
using Temporalio.Worker;

namespace Estuary.DevServer.Tests;

/// <summary>Search attributes are checked against the registered ones wherever they are set, with Temporal's messages.</summary>
[Collection(ServerGroup.Name)]
public sealed class SearchAttributeValidationTests(ServerFixture fixture)
{
    private static readonly SearchAttributeKey<string> Unregistered = UnregisteredSearchAttributeWorkflow.Key;

    private TemporalClient Client => fixture.Client;

    private static WorkflowOptions Options(SearchAttributeCollection attributes) =>
        new(TestIds.New("wf"), TestIds.New("tq")) { TypedSearchAttributes = attributes };

    [Fact]
    public async Task StartWorkflow_UnregisteredSearchAttribute_FailsWithInvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1),
            Options(new SearchAttributeCollection.Builder().Set(Unregistered, "x").ToSearchAttributeCollection())));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        Assert.Equal("search attribute EstuaryNeverRegistered is not defined", error.Message);
    }

    [Fact]
    public async Task StartWorkflow_ValueNotOfRegisteredType_FailsWithInvalidArgument()
    {
        await SearchAttributeRegistration.EnsureAsync(Client, "EstuaryCheckedInt", IndexedValueType.Int);
        // The same name as a Keyword: the value is a string, not the Int it is registered as.
        var wrong = SearchAttributeKey.CreateKeyword("EstuaryCheckedInt");
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1),
            Options(new SearchAttributeCollection.Builder().Set(wrong, "big").ToSearchAttributeCollection())));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        Assert.Equal("invalid value for search attribute EstuaryCheckedInt of type Int: big", error.Message);
    }

    [Fact]
    public async Task StartWorkflow_RegisteredIntSearchAttribute_Starts()
    {
        await SearchAttributeRegistration.EnsureAsync(Client, "EstuaryCheckedInt", IndexedValueType.Int);
        var key = SearchAttributeKey.CreateLong("EstuaryCheckedInt");
        var handle = await Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1),
            Options(new SearchAttributeCollection.Builder().Set(key, 42).ToSearchAttributeCollection()));
        Assert.Equal(42, (await handle.DescribeAsync()).TypedSearchAttributes.Get(key));
        await handle.TerminateAsync();
    }

    [Fact]
    public async Task SignalWithStart_UnregisteredSearchAttribute_FailsWithInvalidArgument()
    {
        var options = Options(new SearchAttributeCollection.Builder().Set(Unregistered, "x").ToSearchAttributeCollection());
        options.SignalWithStart((WaitForSignalWorkflow wf) => wf.AddAsync("first"));
        var error = await Assert.ThrowsAsync<RpcException>(() => Client.StartWorkflowAsync((WaitForSignalWorkflow wf) => wf.RunAsync(1), options));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        Assert.Equal("search attribute EstuaryNeverRegistered is not defined", error.Message);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public async Task WorkflowTask_SetsUnregisteredSearchAttribute_FailsWithBadSearchAttributes(bool onChild)
    {
        var taskQueue = TestIds.New("tq");
        using var worker = new TemporalWorker(Client, new TemporalWorkerOptions(taskQueue)
            .AddWorkflow<UnregisteredSearchAttributeWorkflow>()
            .AddWorkflow<WaitForSignalWorkflow>());
        await worker.ExecuteAsync(async () =>
        {
            var handle = await Client.StartWorkflowAsync((UnregisteredSearchAttributeWorkflow wf) => wf.RunAsync(onChild), new(TestIds.New("wf"), taskQueue));
            var history = await handle.WaitForHistoryAsync(h => h.Any(e => e.EventType == EventType.WorkflowTaskFailed), "a failed workflow task");
            await handle.TerminateAsync();
            var failed = history.First(e => e.EventType == EventType.WorkflowTaskFailed).WorkflowTaskFailedEventAttributes;
            Assert.Equal(WorkflowTaskFailedCause.BadSearchAttributes, failed.Cause);
            Assert.Equal("search attribute EstuaryNeverRegistered is not defined", failed.Failure.Message);
            var events = await handle.EventTypesAsync();
            Assert.DoesNotContain(EventType.UpsertWorkflowSearchAttributes, events);
            Assert.DoesNotContain(EventType.StartChildWorkflowExecutionInitiated, events);
        });
    }
}
