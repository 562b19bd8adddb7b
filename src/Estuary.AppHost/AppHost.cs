using Estuary.Hosting.Postgres;

var builder = DistributedApplication.CreateBuilder(args);

try
{
    // Infrastructure: the mode of each (container, CLI, embedded or local binaries) is decided here, before the model is built.
    var temporal = builder.AddTemporal("temporal");
    var postgres = builder.AddEstuaryPostgres("postgres");

    // One database per domain.
    var exampleDb = postgres.AddDatabase("example-db", "example");
    var bookingsDb = postgres.AddDatabase("bookings-db", "bookings");
    var paymentsDb = postgres.AddDatabase("payments-db", "payments");

    // One worker per domain; each migrates its own database before it polls. Its dashboard commands start, signal, query,
    // update, cancel and terminate its workflows, typed from the catalog it serves.
    builder.AddWorker<Projects.Estuary_Worker_Example>("example-worker")
        .WithReference(temporal).WaitFor(temporal)
        .WithReference(exampleDb).WaitFor(exampleDb)
        .WithWorkflowCommands(temporal);

    builder.AddWorker<Projects.Estuary_Worker_Bookings>("bookings-worker")
        .WithReference(temporal).WaitFor(temporal)
        .WithReference(bookingsDb).WaitFor(bookingsDb)
        .WithWorkflowCommands(temporal);

    builder.AddWorker<Projects.Estuary_Worker_Payments>("payments-worker")
        .WithReference(temporal).WaitFor(temporal)
        .WithReference(paymentsDb).WaitFor(paymentsDb)
        .WithWorkflowCommands(temporal);

    // Every worker encrypts workflow data with the AppHost's secret keys.
    builder.EncryptWorkerPayloads(temporal);

    // Once everything is healthy: one block saying where it all is, and the file `estuary` finds Temporal through.
    builder.PublishLocalEndpoints(temporal, postgres);

    // Ctrl+C stops the workers, then Temporal and PostgreSQL, before the prompt comes back.
    builder.StopResourcesBeforeExit();

    await builder.Build().RunAsync();
}
catch (Exception cannotStart) when (cannotStart is PostgresNotInstalledException or AppHostStartException)
{
    // A missing prerequisite, an invalid setting or a port already taken: one line that says what to do beats a stack
    // trace, and nothing has been started.
    Console.Error.WriteLine(cannotStart.Message);
    return 1;
}

return 0;
