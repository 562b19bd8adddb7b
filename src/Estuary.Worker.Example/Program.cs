using Estuary.Worker.Example;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEstuaryWorker(new ExampleDomain());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCodecServer();
app.Run();
