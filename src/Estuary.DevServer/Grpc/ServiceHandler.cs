using Google.Protobuf;
using Google.Protobuf.Reflection;
using ServiceDescriptor = Google.Protobuf.Reflection.ServiceDescriptor;
using Grpc.Core;
using Microsoft.Extensions.Logging;

namespace Estuary.DevServer.Grpc;

/// <summary>
/// Base of the per-service handlers: a table from gRPC method name to handler. Every method of the service
/// descriptor is bound; methods without a handler answer UNIMPLEMENTED.
/// </summary>
internal abstract class ServiceHandler
{
    private readonly Dictionary<string, Func<IMessage, ServerCallContext, Task<IMessage>>> _handlers = new(StringComparer.Ordinal);
    private readonly ILogger _logger;

    protected ServiceHandler(ServiceDescriptor descriptor, ILogger logger)
    {
        Descriptor = descriptor;
        _logger = logger;
    }

    public ServiceDescriptor Descriptor { get; }

    /// <summary>Registers a handler that completes synchronously (a read).</summary>
    protected void On<TRequest, TResponse>(string method, Func<TRequest, TResponse> handler)
        where TRequest : IMessage
        where TResponse : IMessage =>
        Register(method, (request, _) => Task.FromResult<IMessage>(handler((TRequest)request)));

    /// <summary>Registers a handler that waits (a change answers once it is stored).</summary>
    protected void OnAsync<TRequest, TResponse>(string method, Func<TRequest, Task<TResponse>> handler)
        where TRequest : IMessage
        where TResponse : IMessage =>
        Register(method, async (request, _) => await handler((TRequest)request));

    /// <summary>Registers a handler that may wait with the call's deadline (long polls).</summary>
    protected void OnAsync<TRequest, TResponse>(string method, Func<TRequest, ServerCallContext, Task<TResponse>> handler)
        where TRequest : IMessage
        where TResponse : IMessage =>
        Register(method, async (request, context) => await handler((TRequest)request, context));

    private void Register(string method, Func<IMessage, ServerCallContext, Task<IMessage>> handler)
    {
        if (Descriptor.FindMethodByName(method) is null)
        {
            throw new InvalidOperationException($"{Descriptor.FullName} has no method {method}.");
        }
        _handlers.Add(method, handler);
    }

    public async Task<IMessage> InvokeAsync(MethodDescriptor method, IMessage request, ServerCallContext context)
    {
        if (_logger.IsEnabled(LogLevel.Debug))
        {
            _logger.LogDebug("RPC {Method} namespace={Namespace}", method.FullName, context.RequestHeaders.GetValue("temporal-namespace"));
        }
        if (!_handlers.TryGetValue(method.Name, out var handler))
        {
            throw RpcErrors.Unimplemented($"{method.Name} is not supported by the Estuary dev server.");
        }
        IMessage response;
        try
        {
            response = await handler(request, context);
        }
        catch (RpcException e)
        {
            _logger.LogDebug("RPC {Method} failed: {Status} {Message}", method.Name, e.StatusCode, e.Status.Detail);
            throw;
        }
        catch (OperationCanceledException) when (context.CancellationToken.IsCancellationRequested)
        {
            throw new RpcException(new Status(StatusCode.Cancelled, "The call was cancelled by the caller."));
        }
        catch (Exception e)
        {
            _logger.LogError(e, "RPC {Method} failed unexpectedly", method.Name);
            throw RpcErrors.Internal($"{method.Name} failed in the Estuary dev server: {e.Message}");
        }
        if (response.Descriptor != method.OutputType)
        {
            throw RpcErrors.Internal($"{method.Name} produced {response.Descriptor.FullName} instead of {method.OutputType.FullName}.");
        }
        return response;
    }
}
