using Estuary.DevServer.Grpc;
using Estuary.DevServer.Namespaces;
using Estuary.DevServer.Visibility;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Namespace.V1;
using Temporalio.Api.OperatorService.V1;
using Temporalio.Api.Replication.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine.Operations;

/// <summary>Namespaces and the search attribute registry (WorkflowService and OperatorService calls).</summary>
internal sealed class NamespaceOperations(DevServerEngine engine)
{
    public DescribeNamespaceResponse DescribeNamespace(DescribeNamespaceRequest request)
    {
        var ns = !string.IsNullOrEmpty(request.Id)
            ? engine.Namespaces.FindById(request.Id) ?? throw RpcErrors.NotFound($"Namespace id {request.Id} is not found.")
            : engine.Namespaces.Get(request.Namespace);
        return Describe(ns);
    }

    public Task<RegisterNamespaceResponse> RegisterNamespaceAsync(RegisterNamespaceRequest request)
    {
        if (string.IsNullOrEmpty(request.Namespace))
        {
            throw RpcErrors.InvalidArgument("Namespace not set on request.");
        }
        var retention = request.WorkflowExecutionRetentionPeriod?.ToTimeSpan() is { } given && given > TimeSpan.Zero
            ? given
            : engine.Options.Retention;
        var ns = NamespaceRegistry.New(request.Namespace, retention);
        ns.Description = request.Description;
        ns.OwnerEmail = request.OwnerEmail;
        foreach (var (key, value) in request.Data)
        {
            ns.Data[key] = value;
        }
        return engine.ChangeAsync(() =>
        {
            if (!engine.Namespaces.TryAdd(ns))
            {
                throw RpcErrors.WithDetail(StatusCode.AlreadyExists, "Namespace already exists.",
                    new Temporalio.Api.ErrorDetails.V1.NamespaceAlreadyExistsFailure());
            }
            engine.Changes.TouchRegistry(namespaces: true, searchAttributes: false);
            return new RegisterNamespaceResponse();
        });
    }

    public ListNamespacesResponse ListNamespaces(ListNamespacesRequest request)
    {
        var response = new ListNamespacesResponse();
        response.Namespaces.AddRange(engine.Namespaces.All.OrderBy(n => n.Name, StringComparer.Ordinal).Select(Describe));
        return response;
    }

    public Task<UpdateNamespaceResponse> UpdateNamespaceAsync(UpdateNamespaceRequest request) =>
        engine.ChangeAsync(() =>
        {
            var ns = engine.Namespaces.Get(request.Namespace);
            lock (ns.SettingsLock)
            {
                if (request.UpdateInfo is { } info)
                {
                    if (!string.IsNullOrEmpty(info.Description))
                    {
                        ns.Description = info.Description;
                    }
                    if (!string.IsNullOrEmpty(info.OwnerEmail))
                    {
                        ns.OwnerEmail = info.OwnerEmail;
                    }
                    foreach (var (key, value) in info.Data)
                    {
                        ns.Data[key] = value;
                    }
                }
                if (request.Config?.WorkflowExecutionRetentionTtl?.ToTimeSpan() is { } retention && retention > TimeSpan.Zero)
                {
                    ns.Retention = retention;
                }
            }
            engine.Changes.TouchRegistry(namespaces: true, searchAttributes: false);
            var described = Describe(ns);
            return new UpdateNamespaceResponse
            {
                NamespaceInfo = described.NamespaceInfo,
                Config = described.Config,
                ReplicationConfig = described.ReplicationConfig,
            };
        });

    private DescribeNamespaceResponse Describe(NamespaceEntry ns)
    {
        TimeSpan retention;
        lock (ns.SettingsLock)
        {
            retention = ns.Retention;
        }
        return new DescribeNamespaceResponse
        {
            NamespaceInfo = ns.ToInfo(engine.Options.EnableEagerWorkflowStart),
            Config = new NamespaceConfig
            {
                WorkflowExecutionRetentionTtl = Duration.FromTimeSpan(retention),
                HistoryArchivalState = ArchivalState.Disabled,
                VisibilityArchivalState = ArchivalState.Disabled,
            },
            ReplicationConfig = new NamespaceReplicationConfig
            {
                ActiveClusterName = "active",
                Clusters = { new ClusterReplicationConfig { ClusterName = "active" } },
                State = ReplicationState.Normal,
            },
            IsGlobalNamespace = false,
        };
    }

    public Task<AddSearchAttributesResponse> AddSearchAttributesAsync(AddSearchAttributesRequest request)
    {
        foreach (var name in request.SearchAttributes.Keys)
        {
            if (SystemSearchAttributes.Types.ContainsKey(name))
            {
                throw RpcErrors.InvalidArgument($"Search attribute {name} is reserved by the system.");
            }
        }
        return engine.ChangeAsync(() =>
        {
            engine.Namespaces.UpdateSearchAttributes(current => current.SetItems(request.SearchAttributes));
            engine.Changes.TouchRegistry(namespaces: false, searchAttributes: true);
            return new AddSearchAttributesResponse();
        });
    }

    public ListSearchAttributesResponse ListSearchAttributes(ListSearchAttributesRequest request)
    {
        var response = new ListSearchAttributesResponse();
        foreach (var (name, type) in engine.Namespaces.SearchAttributes)
        {
            response.CustomAttributes[name] = type;
        }
        foreach (var (name, type) in SystemSearchAttributes.Types)
        {
            response.SystemAttributes[name] = type;
        }
        return response;
    }

    public Task<RemoveSearchAttributesResponse> RemoveSearchAttributesAsync(RemoveSearchAttributesRequest request) =>
        engine.ChangeAsync(() =>
        {
            engine.Namespaces.UpdateSearchAttributes(current =>
            {
                foreach (var name in request.SearchAttributes)
                {
                    if (!current.ContainsKey(name))
                    {
                        throw RpcErrors.NotFound($"Search attribute {name} doesn't exist.");
                    }
                    current = current.Remove(name);
                }
                return current;
            });
            engine.Changes.TouchRegistry(namespaces: false, searchAttributes: true);
            return new RemoveSearchAttributesResponse();
        });

    public GetSearchAttributesResponse GetSearchAttributes(GetSearchAttributesRequest request)
    {
        var response = new GetSearchAttributesResponse();
        foreach (var (name, type) in SystemSearchAttributes.Types.Concat(engine.Namespaces.SearchAttributes))
        {
            response.Keys[name] = type;
        }
        return response;
    }
}
