using Estuary.DevServer.Ui.Temporal;
using Estuary.DevServer.Ui.Tests.Workflows;
using Google.Protobuf;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.DevServer.Ui.Tests;

[Collection(UiGroup.Name)]
public sealed class CountFallbackTests(UiFixture fixture)
{
    [Fact]
    public async Task CountAsync_ServerWithoutGroupBy_CountsEachStatusApart()
    {
        var prefix = $"counted-{Guid.NewGuid():N}";
        await (await fixture.Client.StartWorkflowAsync((GreetingWorkflow wf) => wf.RunAsync("a"), new($"{prefix}-1", UiFixture.TaskQueue))).GetResultAsync();
        var running = await fixture.Client.StartWorkflowAsync((WaitingWorkflow wf) => wf.RunAsync("b"), new($"{prefix}-2", UiFixture.TaskQueue));
        var connection = new WithoutGroupBy((TemporalConnection)fixture.Client.Connection);
        var temporal = new TemporalGateway(connection, new TemporalUiOptions());

        var (counts, error) = await WorkflowList.CountAsync(temporal, "default", $"WorkflowId STARTS_WITH '{prefix}'", CancellationToken.None);

        Assert.Null(error);
        Assert.Equal(1, counts![WorkflowExecutionStatus.Completed]);
        Assert.Equal(1, counts[WorkflowExecutionStatus.Running]);
        Assert.Equal(2, counts.Values.Sum());
        Assert.True(connection.GroupByRejected);
        await running.TerminateAsync("test over");
    }

    /// <summary>A connection to the fixture's server that answers counts with GROUP BY as a server without it does.</summary>
    private sealed class WithoutGroupBy(TemporalConnection inner) : ITemporalConnection
    {
        private readonly Service _service = new(inner);

        public bool GroupByRejected => _service.Rejected;

        public WorkflowService WorkflowService => _service;

        public IReadOnlyCollection<KeyValuePair<string, string>> RpcMetadata { get => inner.RpcMetadata; set => inner.RpcMetadata = value; }

        public IReadOnlyCollection<KeyValuePair<string, byte[]>> RpcBinaryMetadata { get => inner.RpcBinaryMetadata; set => inner.RpcBinaryMetadata = value; }

        public string? ApiKey { get => inner.ApiKey; set => inner.ApiKey = value; }

        public OperatorService OperatorService => inner.OperatorService;

        public CloudService CloudService => inner.CloudService;

        public TestService TestService => inner.TestService;

        public TemporalConnectionOptions Options => inner.Options;

        public bool IsConnected => inner.IsConnected;

        public Task<bool> CheckHealthAsync(RpcService? service = null, RpcOptions? options = null) => inner.CheckHealthAsync(service, options);

        public Task ConnectAsync() => inner.ConnectAsync();

        public System.Runtime.InteropServices.SafeHandle? BridgeClient => ((IBridgeClientProvider)inner).BridgeClient;

        private sealed class Service(TemporalConnection connection) : WorkflowService.Core(connection)
        {
            public bool Rejected { get; private set; }

            protected override Task<T> InvokeRpcAsync<T>(string rpc, IMessage req, MessageParser<T> resp, RpcOptions? options = null)
            {
                if (req is CountWorkflowExecutionsRequest { Query: var query } && query.Contains("GROUP BY", StringComparison.Ordinal))
                {
                    Rejected = true;
                    throw new RpcException(RpcException.StatusCode.InvalidArgument, "invalid query: GROUP BY is not supported", null);
                }
                return base.InvokeRpcAsync(rpc, req, resp, options);
            }
        }
    }
}
