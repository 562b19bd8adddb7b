using Estuary.Temporal.Domains;
using Estuary.Worker.Example.Data;
using Estuary.Worker.Example.Services;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Estuary.Worker.Example;

/// <summary>The seed guide's example domain: processes <see cref="ExampleEntity"/> rows.</summary>
public sealed class ExampleDomain : EstuaryDomain<ExampleDbContext>
{
    /// <inheritdoc />
    public override string Name => "example";

    /// <inheritdoc />
    public override string Description => "Example domain";

    /// <inheritdoc />
    public override void ConfigureServices(IHostApplicationBuilder builder) =>
        builder.Services.AddScoped<ExampleService>();
}
