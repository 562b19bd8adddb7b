using Estuary.DevServer.Grpc;
using Estuary.DevServer.State;
using Google.Protobuf.WellKnownTypes;
using Grpc.Core;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Namespace.V1;
using Temporalio.Api.Replication.V1;
using Temporalio.Api.WorkflowService.V1;

namespace Estuary.DevServer.Engine;

internal sealed partial class DevServerEngine
{
    public DescribeNamespaceResponse DescribeNamespace(DescribeNamespaceRequest request)
    {
        lock (_gate)
        {
            NamespaceEntry ns;
            if (!string.IsNullOrEmpty(request.Id))
            {
                ns = _namespaces.Values.FirstOrDefault(n => n.Id == request.Id)
                    ?? throw RpcErrors.NotFound($"Namespace id {request.Id} is not found.");
            }
            else
            {
                ns = GetNamespace(request.Namespace);
            }
            return Describe(ns);
        }
    }

    public RegisterNamespaceResponse RegisterNamespace(RegisterNamespaceRequest request)
    {
        if (string.IsNullOrEmpty(request.Namespace))
        {
            throw RpcErrors.InvalidArgument("Namespace not set on request.");
        }
        lock (_gate)
        {
            if (_namespaces.ContainsKey(request.Namespace))
            {
                throw RpcErrors.WithDetail(StatusCode.AlreadyExists, "Namespace already exists.",
                    new Temporalio.Api.ErrorDetails.V1.NamespaceAlreadyExistsFailure());
            }
            var retention = request.WorkflowExecutionRetentionPeriod?.ToTimeSpan() is { } given && given > TimeSpan.Zero
                ? given
                : _options.Retention;
            var ns = NewNamespace(request.Namespace, retention);
            ns.Description = request.Description;
            ns.OwnerEmail = request.OwnerEmail;
            foreach (var (key, value) in request.Data)
            {
                ns.Data[key] = value;
            }
            _namespaces[ns.Name] = ns;
            return new RegisterNamespaceResponse();
        }
    }

    public ListNamespacesResponse ListNamespaces(ListNamespacesRequest request)
    {
        lock (_gate)
        {
            var response = new ListNamespacesResponse();
            response.Namespaces.AddRange(_namespaces.Values.OrderBy(n => n.Name, StringComparer.Ordinal).Select(Describe));
            return response;
        }
    }

    public UpdateNamespaceResponse UpdateNamespace(UpdateNamespaceRequest request)
    {
        lock (_gate)
        {
            var ns = GetNamespace(request.Namespace);
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
            var described = Describe(ns);
            return new UpdateNamespaceResponse
            {
                NamespaceInfo = described.NamespaceInfo,
                Config = described.Config,
                ReplicationConfig = described.ReplicationConfig,
            };
        }
    }

    private DescribeNamespaceResponse Describe(NamespaceEntry ns) => new()
    {
        NamespaceInfo = ns.ToInfo(_options.EnableEagerWorkflowStart),
        Config = new NamespaceConfig
        {
            WorkflowExecutionRetentionTtl = Duration.FromTimeSpan(ns.Retention),
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
