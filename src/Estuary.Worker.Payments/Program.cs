using Estuary.Worker.Payments;

return EstuaryWorkerProgram.Run(
    args,
    builder =>
    {
        builder.AddServiceDefaults();
        builder.AddEstuaryWorker(new PaymentsDomain());
    },
    app =>
    {
        app.MapDefaultEndpoints();
        app.MapCodecServer();
    });
