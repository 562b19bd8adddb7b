using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;
using Aspire.Hosting.Eventing;
using Aspire.Hosting.Testing;
using Microsoft.Extensions.DependencyInjection;

namespace Estuary.AppHost.Tests;

/// <summary>The model each mode builds, without starting it (container modes need no container runtime to be built).</summary>
public sealed class ModelTests
{
    [Fact]
    public async Task Build_ContainerModes_TemporalImageAndAspirePostgresWithVolume()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            ["Temporal:Mode=Container", "Temporal:DataVolume=true", "Postgres:Mode=Container"]);

        var temporal = Assert.IsType<TemporalContainerResource>(Resource(builder, "temporal"));
        Assert.True(temporal.TryGetContainerImageName(out var image));
        Assert.Equal("docker.io/temporalio/temporal:latest", image);
        Assert.Equal([("grpc", (int?)7233), ("ui", (int?)8233)], temporal.Annotations.OfType<EndpointAnnotation>().Select(e => (e.Name, e.TargetPort)).OrderBy(e => e.Name));
        var args = await ArgumentsAsync(temporal);
        Assert.Equal(["server", "start-dev", "--ip", "0.0.0.0"], args.Take(4));
        Assert.Contains("--db-filename", args);
        Assert.Contains(temporal.Annotations.OfType<ContainerMountAnnotation>(), m => m.Type == ContainerMountType.Volume && m.Target == "/data");

        var postgres = Assert.IsType<PostgresServerResource>(Resource(builder, "postgres"));
        Assert.Contains(postgres.Annotations.OfType<ContainerMountAnnotation>(), m => m.Type == ContainerMountType.Volume);
        foreach (var domain in new[] { "example", "bookings", "payments" })
        {
            var database = Assert.IsType<PostgresDatabaseResource>(Resource(builder, $"{domain}-db"));
            Assert.Equal(domain, database.DatabaseName);
            AssertWorkerWaitsFor(builder, $"{domain}-worker", "temporal", "postgres", $"{domain}-db");
        }
    }

    [Fact]
    public async Task Build_LocalModes_EmbeddedDevServerAndLocalPostgres()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            ["Temporal:Mode=Embedded", "Postgres:Mode=Local"]);

        var temporal = Assert.IsType<TemporalProjectResource>(Resource(builder, "temporal"));
        var args = await ArgumentsAsync(temporal);
        Assert.Equal(["server", "start-dev", "--ip", "127.0.0.1", "--port", "7233", "--ui-port", "8233"], args.Take(8));
        Assert.DoesNotContain("--headless", args);
        Assert.Equal(["grpc", "ui"], temporal.Annotations.OfType<EndpointAnnotation>().Select(e => e.Name).Order());

        var postgres = Assert.IsType<LocalPostgresServerResource>(Resource(builder, "postgres"));
        Assert.Equal(["example", "bookings", "payments"], postgres.Databases.Select(d => d.DatabaseName));
        foreach (var domain in new[] { "example", "bookings", "payments" })
        {
            Assert.Same(postgres, Assert.IsType<LocalPostgresDatabaseResource>(Resource(builder, $"{domain}-db")).Parent);
            AssertWorkerWaitsFor(builder, $"{domain}-worker", "temporal", "postgres", $"{domain}-db");
        }
    }

    [Theory]
    [InlineData("Container", 7233)]
    [InlineData("Cli", 17233)]
    [InlineData("Embedded", 17233)]
    public async Task Build_TemporalPortConfigured_ServedThereUnproxiedWithUiOnPortPlus1000(string mode, int targetPort)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            [$"Temporal:Mode={mode}", "Temporal:Port=17233", "Postgres:Mode=Local"]);

        var endpoints = Resource(builder, "temporal").Annotations.OfType<EndpointAnnotation>().ToDictionary(e => e.Name);
        Assert.Equal((17233, targetPort, false), (endpoints["grpc"].Port, endpoints["grpc"].TargetPort, endpoints["grpc"].IsProxied));
        Assert.Equal((18233, false), (endpoints["ui"].Port, endpoints["ui"].IsProxied));
    }

    [Fact]
    public async Task Build_Default_TemporalPostgresAndWorkersSupervised()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            ["Temporal:Mode=Embedded", "Postgres:Mode=Local"]);

        Assert.Equal(
            ["bookings-worker", "example-worker", "payments-worker", "postgres", "temporal"],
            builder.Resources.Where(r => r.HasAnnotationOfType<SupervisedAnnotation>()).Select(r => r.Name).Order());
    }

    [Fact]
    public async Task Build_SupervisionDisabled_NothingSupervised()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            ["Temporal:Mode=Embedded", "Postgres:Mode=Local", "Estuary:Supervision:Enabled=false"]);

        Assert.DoesNotContain(builder.Resources, r => r.HasAnnotationOfType<SupervisedAnnotation>());
    }

    [Fact]
    public async Task Build_EveryWorker_HasHttpHealthCheckAndWorkflowCommands()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            ["Temporal:Mode=Embedded", "Postgres:Mode=Local"]);

        foreach (var worker in new[] { "example-worker", "bookings-worker", "payments-worker" })
        {
            var resource = Resource(builder, worker);
            Assert.Contains(resource.Annotations.OfType<EndpointAnnotation>(), e => e.Name == "http" && e.UriScheme == "http");
            Assert.NotEmpty(resource.Annotations.OfType<HealthCheckAnnotation>());
            Assert.Superset(
                new HashSet<string>([WorkflowCommandExtensions.StartCommand, WorkflowCommandExtensions.SignalCommand, WorkflowCommandExtensions.QueryCommand,
                    WorkflowCommandExtensions.UpdateCommand, WorkflowCommandExtensions.CancelCommand, WorkflowCommandExtensions.TerminateCommand]),
                resource.Annotations.OfType<ResourceCommandAnnotation>().Select(c => c.Name).ToHashSet());
        }
    }

    [Fact]
    public void AddTemporalAndAddEstuaryPostgres_LocalModes_TypedBuildersStandForTheModelResources()
    {
        var builder = DistributedApplication.CreateBuilder(new DistributedApplicationOptions
        {
            AssemblyName = typeof(TemporalResource).Assembly.GetName().Name,
            DisableDashboard = true,
            Args = ["Temporal:Mode=Embedded", $"Temporal:Port={AppHostFixture.FreePortWithFreeUiPort()}", "Postgres:Mode=Local"],
        });

        IResourceBuilder<TemporalResource> temporal = builder.AddTemporal("temporal");
        IResourceBuilder<EstuaryPostgresResource> postgres = builder.AddEstuaryPostgres("postgres");
        var database = postgres.AddDatabase("shop-db", "shop");
        var worker = builder.AddWorker<Projects.Estuary_Worker_Example>("shop-worker")
            .WithReference(temporal).WaitFor(temporal)
            .WithReference(database).WaitFor(database);

        // Each stands for the one resource of its name in the model, of the kind the mode chose, and is not a second one.
        Assert.Same(builder.Resources.Single(r => r.Name == "temporal"), Assert.IsType<TemporalProjectResource>(temporal.Resource.Server));
        Assert.Same(builder.Resources.Single(r => r.Name == "postgres"), Assert.IsType<LocalPostgresServerResource>(postgres.Resource.Server));
        Assert.Single(builder.Resources, r => r.Name == "temporal");
        Assert.Single(builder.Resources, r => r.Name == "postgres");
        Assert.Same(temporal.Resource.Server.Annotations, temporal.Resource.Annotations);
        Assert.Equal(temporal.Resource.Server.ConnectionStringExpression.ValueExpression, temporal.Resource.ConnectionStringExpression.ValueExpression);
        Assert.Equal(["postgres", "shop-db", "temporal"], worker.Resource.Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Order());
    }

    [Theory]
    [InlineData("Container", true)]
    [InlineData("Cli", true)]
    [InlineData("Embedded", false)]
    public async Task Build_TemporalMode_WorkersLetTheTemporalUiPageCallTheirCodecOnlyWhereItIsTemporals(string mode, bool allowed)
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            [$"Temporal:Mode={mode}", "Temporal:Port=17233", "Postgres:Mode=Local"]);

        foreach (var worker in new[] { "example-worker", "bookings-worker", "payments-worker" })
        {
            var environment = await EnvironmentAsync(builder, worker);
            var origins = environment.Where(e => e.Key.StartsWith("Estuary__Encryption__CodecServer__AllowedOrigins__", StringComparison.Ordinal)).Select(e => e.Value);
            Assert.Equal(allowed ? ["http://localhost:18233", "http://127.0.0.1:18233"] : [], origins);
        }
    }

    [Fact]
    public async Task Build_ContainerPostgres_WorkersConnectionStringsNamePasswordFileAndNoValueHoldsThePassword()
    {
        var state = Directory.CreateTempSubdirectory("estuary-pgpass-").FullName;
        try
        {
            await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
                ["Temporal:Mode=Container", "Postgres:Mode=Container", $"Estuary:StateDirectory={state}"]);
            AllocateEndpoints(builder);
            var postgres = Assert.IsType<PostgresServerResource>(Resource(builder, "postgres"));
            var port = postgres.PrimaryEndpoint.Port;
            var password = await postgres.PasswordParameter.GetValueAsync(TestContext.Current.CancellationToken);
            Assert.False(string.IsNullOrEmpty(password));
            var passwordFile = Path.Combine(state, "secrets", "postgres.pgpass");

            foreach (var domain in new[] { "example", "bookings", "payments" })
            {
                var environment = await EnvironmentValuesAsync(builder, $"{domain}-worker");
                Assert.Equal($"Host=localhost;Port={port};Username=postgres;Passfile={passwordFile};Database={domain}", environment[$"ConnectionStrings__{domain}-db"]);
                Assert.Equal(port.ToString(System.Globalization.CultureInfo.InvariantCulture), environment[$"{domain.ToUpperInvariant()}_DB_PORT"]);
                Assert.DoesNotContain(environment, v => v.Value.Contains(password, StringComparison.Ordinal));
            }

            // The container's start writes the file the connection strings name (no container runtime is needed to raise the event).
            await using var app = builder.Build();
            await app.Services.GetRequiredService<IDistributedApplicationEventing>()
                .PublishAsync(new BeforeResourceStartedEvent(postgres, app.Services), TestContext.Current.CancellationToken);
            Assert.Equal($"*:*:*:postgres:{password}\n", await File.ReadAllTextAsync(passwordFile, TestContext.Current.CancellationToken));
            if (!OperatingSystem.IsWindows())
            {
                Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(passwordFile));
            }
        }
        finally
        {
            Directory.Delete(state, recursive: true);
        }
    }

    [Fact]
    public async Task Build_ContainerPostgres_ContainerReadsPasswordFromAFileCopiedIntoItAndNoVariableHoldsIt()
    {
        await using var builder = await DistributedApplicationTestingBuilder.CreateAsync<Projects.Estuary_AppHost>(
            ["Temporal:Mode=Container", "Postgres:Mode=Container"]);
        AllocateEndpoints(builder);
        var postgres = Assert.IsType<PostgresServerResource>(Resource(builder, "postgres"));
        var password = await postgres.PasswordParameter.GetValueAsync(TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(password));

        // What the container is given, as the dashboard shows it: the file's path in the container, not the password.
        var environment = await EnvironmentValuesAsync(builder, "postgres");
        Assert.DoesNotContain("POSTGRES_PASSWORD", environment.Keys);
        Assert.DoesNotContain(environment, v => v.Value.Contains(password, StringComparison.Ordinal));
        Assert.Equal("postgres", environment["POSTGRES_USER"]);
        Assert.DoesNotContain(postgres.Annotations.OfType<ContainerMountAnnotation>(), m => m.Type == ContainerMountType.BindMount);

        // The file the orchestrator copies into the container before it starts: the password alone, for the container's
        // root, which the image's entrypoint reads it as.
        var files = Assert.Single(postgres.Annotations.OfType<ContainerFileSystemCallbackAnnotation>());
        await using var app = builder.Build();
        var items = await files.Callback(
            new ContainerFileSystemCallbackContext { Services = app.Services, Model = postgres },
            TestContext.Current.CancellationToken);
        var file = Assert.IsType<ContainerFile>(Assert.Single(items));
        Assert.Equal(environment["POSTGRES_PASSWORD_FILE"], $"{files.DestinationPath}/{file.Name}");
        Assert.Equal(password, file.Contents);
        Assert.Equal(0, file.Owner);
        Assert.Equal(UnixFileMode.UserRead, file.Mode);
    }

    private static IResource Resource(IDistributedApplicationTestingBuilder builder, string name) =>
        builder.Resources.Single(r => r.Name == name);

    // Waiting for a database waits for its server too.
    private static void AssertWorkerWaitsFor(IDistributedApplicationTestingBuilder builder, string worker, params string[] dependencies) =>
        Assert.Equal(
            dependencies.Order(),
            Resource(builder, worker).Annotations.OfType<WaitAnnotation>().Select(w => w.Resource.Name).Order());

    /// <summary>A resource's environment variables whose values are plain strings (the rest need a model that starts).</summary>
    private static async Task<Dictionary<string, string>> EnvironmentAsync(IDistributedApplicationTestingBuilder builder, string name)
    {
        var variables = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(builder.ExecutionContext, variables);
        foreach (var annotation in Resource(builder, name).Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await annotation.Callback(context);
        }

        return variables.Where(v => v.Value is string).ToDictionary(v => v.Key, v => (string)v.Value);
    }

    /// <summary>Gives every endpoint of the model an address on localhost, as the orchestrator does when the model starts.</summary>
    private static void AllocateEndpoints(IDistributedApplicationTestingBuilder builder)
    {
        var port = 50000;
        foreach (var endpoint in builder.Resources.SelectMany(r => r.Annotations.OfType<EndpointAnnotation>()).Where(e => e.AllocatedEndpoint is null))
        {
            var allocated = endpoint.Port ?? port++;
            endpoint.AllocatedEndpoint = new AllocatedEndpoint(endpoint, "localhost", allocated, targetPortExpression: (endpoint.TargetPort ?? allocated).ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    /// <summary>A resource's environment variables with every value resolved, as the process would get them (endpoints allocated first).</summary>
    private static async Task<Dictionary<string, string>> EnvironmentValuesAsync(IDistributedApplicationTestingBuilder builder, string name)
    {
        var variables = new Dictionary<string, object>();
        var context = new EnvironmentCallbackContext(builder.ExecutionContext, variables);
        foreach (var annotation in Resource(builder, name).Annotations.OfType<EnvironmentCallbackAnnotation>())
        {
            await annotation.Callback(context);
        }

        var values = new Dictionary<string, string>();
        foreach (var (key, value) in variables)
        {
            values[key] = value switch
            {
                string text => text,
                IValueProvider provider => await provider.GetValueAsync(TestContext.Current.CancellationToken) ?? "",
                _ => value.ToString() ?? "",
            };
        }

        return values;
    }

    /// <summary>A resource's command-line arguments; plain strings only (endpoint references are not allocated in a model that never starts).</summary>
    internal static async Task<List<string>> ArgumentsAsync(IResource resource)
    {
        var arguments = new List<object>();
        foreach (var annotation in resource.Annotations.OfType<CommandLineArgsCallbackAnnotation>())
        {
            await annotation.Callback(new CommandLineArgsCallbackContext(arguments));
        }

        return arguments.Select(a => a as string ?? $"<{a.GetType().Name}>").ToList();
    }
}
