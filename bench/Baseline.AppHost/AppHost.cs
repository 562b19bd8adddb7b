var builder = DistributedApplication.CreateBuilder(args);

// Each service as Estuary's AppHost adds a worker: no launch profile, an HTTP endpoint, Aspire's check of /health.
AddService<Projects.Baseline_Web1>("web1");
AddService<Projects.Baseline_Web2>("web2");
AddService<Projects.Baseline_Web3>("web3");

builder.Build().Run();

void AddService<TProject>(string name)
    where TProject : IProjectMetadata, new() =>
    builder.AddProject<TProject>(name, options => options.ExcludeLaunchProfile = true)
        .WithHttpEndpoint(name: "http")
        .WithHttpHealthCheck("/health", endpointName: "http");
