using Estuary.Worker.DomainName;

var builder = WebApplication.CreateBuilder(args);
builder.AddServiceDefaults();
builder.AddEstuaryWorker(new DomainNameDomain());

var app = builder.Build();
app.MapDefaultEndpoints();
app.MapCodecServer();
app.Run();
