using Estuary.Worker.Payments;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEstuaryWorker(new PaymentsDomain());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCodecServer();
app.Run();
