using Estuary.Worker.Bookings;

return EstuaryWorkerProgram.Run(
    args,
    builder =>
    {
        builder.AddServiceDefaults();
        builder.AddEstuaryWorker(new BookingsDomain());
    },
    app =>
    {
        app.MapDefaultEndpoints();
        app.MapCodecServer();
    });
