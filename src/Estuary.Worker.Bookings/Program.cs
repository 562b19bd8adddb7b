using Estuary.Worker.Bookings;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEstuaryWorker(new BookingsDomain());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCodecServer();
app.Run();
