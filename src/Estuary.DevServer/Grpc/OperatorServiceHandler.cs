using Estuary.DevServer.Engine;
using Estuary.DevServer.Engine.Operations;
using Microsoft.Extensions.Logging;
using Temporalio.Api.OperatorService.V1;

namespace Estuary.DevServer.Grpc;

/// <summary>temporal.api.operatorservice.v1.OperatorService: search attribute registration.</summary>
internal sealed class OperatorServiceHandler : ServiceHandler
{
    public OperatorServiceHandler(DevServerEngine engine, ILogger<OperatorServiceHandler> logger)
        : base(ServiceReflection.Descriptor.Services[0], logger)
    {
        var namespaces = new NamespaceOperations(engine);
        OnAsync<AddSearchAttributesRequest, AddSearchAttributesResponse>("AddSearchAttributes", namespaces.AddSearchAttributesAsync);
        On<ListSearchAttributesRequest, ListSearchAttributesResponse>("ListSearchAttributes", namespaces.ListSearchAttributes);
        OnAsync<RemoveSearchAttributesRequest, RemoveSearchAttributesResponse>("RemoveSearchAttributes", namespaces.RemoveSearchAttributesAsync);
    }
}
