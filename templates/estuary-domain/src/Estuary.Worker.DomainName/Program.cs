using Estuary.Worker.DomainName;

return EstuaryWorkerProgram.Run(
    args,
    builder =>
    {
        builder.AddServiceDefaults();
        builder.AddEstuaryWorker(new DomainNameDomain());
    },
    app =>
    {
        app.MapDefaultEndpoints();
        app.MapCodecServer();
    });
