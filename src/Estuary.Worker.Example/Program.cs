using Estuary.Worker.Example;

return EstuaryWorkerProgram.Run(
    args,
    builder =>
    {
        builder.AddServiceDefaults();
        builder.AddEstuaryWorker(new ExampleDomain());
    },
    app =>
    {
        app.MapDefaultEndpoints();
        app.MapCodecServer();
    });
