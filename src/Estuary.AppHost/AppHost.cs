var builder = DistributedApplication.CreateBuilder(args);

// Infrastructure: the mode of each (container, CLI, embedded or local binaries) is decided here, before the model is built.
var temporal = builder.AddTemporal("temporal");
var postgres = builder.AddEstuaryPostgres("postgres");

// One database per domain.
var exampleDb = postgres.AddDatabase("example-db", "example");
var bookingsDb = postgres.AddDatabase("bookings-db", "bookings");
var paymentsDb = postgres.AddDatabase("payments-db", "payments");

// One worker per domain; each migrates its own database before it polls.
builder.AddWorker<Projects.Estuary_Worker_Example>("example-worker")
    .WithReference(temporal).WaitFor(temporal)
    .WithReference(exampleDb).WaitFor(exampleDb)
    .WithWorkflowCommand(temporal, "ExampleWorkflow", taskQueue: "example", argumentLabel: "Entity id");

builder.AddWorker<Projects.Estuary_Worker_Bookings>("bookings-worker")
    .WithReference(temporal).WaitFor(temporal)
    .WithReference(bookingsDb).WaitFor(bookingsDb);

builder.AddWorker<Projects.Estuary_Worker_Payments>("payments-worker")
    .WithReference(temporal).WaitFor(temporal)
    .WithReference(paymentsDb).WaitFor(paymentsDb);

builder.AddStartupReport();

builder.Build().Run();
