using Google.Protobuf;
using Google.Protobuf.Reflection;
using Grpc.AspNetCore.Server.Model;
using Grpc.Core;

namespace Estuary.DevServer.Grpc;

/// <summary>
/// Binds every unary method of a protobuf service descriptor to a <see cref="ServiceHandler"/>, with
/// marshallers built from the method's message parsers (the SDK package ships messages, not stubs).
/// </summary>
internal sealed class DescriptorServiceMethodProvider<TService>(TService handler) : IServiceMethodProvider<TService>
    where TService : ServiceHandler
{
    public void OnServiceMethodDiscovery(ServiceMethodProviderContext<TService> context)
    {
        foreach (var descriptor in handler.Descriptor.Methods)
        {
            if (descriptor.IsClientStreaming || descriptor.IsServerStreaming)
            {
                continue;
            }
            var method = new Method<IMessage, IMessage>(
                MethodType.Unary,
                descriptor.Service.FullName,
                descriptor.Name,
                CreateMarshaller(descriptor.InputType.Parser),
                CreateMarshaller(descriptor.OutputType.Parser));
            var bound = descriptor;
            context.AddUnaryMethod(method, [], (service, request, callContext) => service.InvokeAsync(bound, request, callContext));
        }
    }

    private static Marshaller<IMessage> CreateMarshaller(MessageParser parser) => new(
        (message, context) =>
        {
            context.SetPayloadLength(message.CalculateSize());
            message.WriteTo(context.GetBufferWriter());
            context.Complete();
        },
        context => parser.ParseFrom(context.PayloadAsReadOnlySequence()));
}
