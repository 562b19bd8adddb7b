using Google.Protobuf;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.WorkflowService.V1;
using Temporalio.Client;
using Temporalio.Exceptions;

namespace Estuary.DevServer.Tests;

[Collection(ServerGroup.Name)]
public sealed class ServiceTests(ServerFixture fixture)
{
    private WorkflowService Service => fixture.Client.Connection.WorkflowService;

    [Fact]
    public async Task RegisterNamespace_NewName_DescribeAndListSeeIt()
    {
        var name = TestIds.New("ns");
        await Service.RegisterNamespaceAsync(new RegisterNamespaceRequest
        {
            Namespace = name,
            WorkflowExecutionRetentionPeriod = Duration.FromTimeSpan(TimeSpan.FromDays(3)),
        });
        var described = await Service.DescribeNamespaceAsync(new DescribeNamespaceRequest { Namespace = name });
        Assert.Equal(name, described.NamespaceInfo.Name);
        Assert.Equal(TimeSpan.FromDays(3), described.Config.WorkflowExecutionRetentionTtl.ToTimeSpan());
        var listed = await Service.ListNamespacesAsync(new ListNamespacesRequest());
        Assert.Contains(listed.Namespaces, n => n.NamespaceInfo.Name == name);
    }

    [Fact]
    public async Task RegisterNamespace_ExistingName_ThrowsAlreadyExists()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Service.RegisterNamespaceAsync(new RegisterNamespaceRequest { Namespace = "default" }));
        Assert.Equal(RpcException.StatusCode.AlreadyExists, error.Code);
    }

    [Fact]
    public async Task DescribeNamespace_Unknown_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Service.DescribeNamespaceAsync(new DescribeNamespaceRequest { Namespace = "missing-ns" }));
        Assert.Equal(RpcException.StatusCode.NotFound, error.Code);
    }

    [Fact]
    public async Task DescribeWorkflow_UnknownId_ThrowsNotFound()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => fixture.Client.GetWorkflowHandle(TestIds.New("missing")).DescribeAsync());
        Assert.Equal(RpcException.StatusCode.NotFound, error.Code);
    }

    [Fact]
    public async Task StartWorkflow_EmptyWorkflowId_ThrowsInvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Service.StartWorkflowExecutionAsync(new StartWorkflowExecutionRequest
        {
            Namespace = "default",
            WorkflowType = new() { Name = "Anything" },
            TaskQueue = new() { Name = "tq" },
            RequestId = Guid.NewGuid().ToString(),
        }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
        Assert.Contains("WorkflowId", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task RespondActivityTaskCompleted_GarbageToken_ThrowsInvalidArgument()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Service.RespondActivityTaskCompletedAsync(new RespondActivityTaskCompletedRequest
        {
            Namespace = "default",
            TaskToken = ByteString.CopyFromUtf8("not a token"),
        }));
        Assert.Equal(RpcException.StatusCode.InvalidArgument, error.Code);
    }

    [Fact]
    public async Task RespondNexusTaskFailed_NotSupported_ThrowsUnimplementedWithClearMessage()
    {
        var error = await Assert.ThrowsAsync<RpcException>(() => Service.RespondNexusTaskFailedAsync(new RespondNexusTaskFailedRequest
        {
            Namespace = "default",
            TaskToken = ByteString.CopyFromUtf8("token"),
        }));
        Assert.Equal(RpcException.StatusCode.Unimplemented, error.Code);
        Assert.Contains("not supported by the Estuary dev server", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task GetSystemInfo_Connect_AdvertisesSdkMetadata()
    {
        var info = await Service.GetSystemInfoAsync(new GetSystemInfoRequest());
        Assert.True(info.Capabilities.SdkMetadata);
    }
}
