using Estuary.DevServer.Engine;
using Microsoft.Extensions.Logging;
using Temporalio.Api.OperatorService.V1;

namespace Estuary.DevServer.Grpc;

/// <summary>temporal.api.operatorservice.v1.OperatorService: search attribute registration.</summary>
internal sealed class OperatorServiceHandler : ServiceHandler
{
    public OperatorServiceHandler(DevServerEngine engine, ILogger<OperatorServiceHandler> logger)
        : base(ServiceReflection.Descriptor.Services[0], logger)
    {
        On<AddSearchAttributesRequest, AddSearchAttributesResponse>("AddSearchAttributes", engine.AddSearchAttributes);
        On<ListSearchAttributesRequest, ListSearchAttributesResponse>("ListSearchAttributes", engine.ListSearchAttributes);
        On<RemoveSearchAttributesRequest, RemoveSearchAttributesResponse>("RemoveSearchAttributes", engine.RemoveSearchAttributes);
    }
}
