using Aspire.Hosting.ApplicationModel;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace Aspire.Hosting;

/// <summary>Writes decisions taken while the model is built to the AppHost's log once it starts (no logger exists before).</summary>
internal static class StartupLog
{
    /// <summary>The logger category of the AppHost's own lines.</summary>
    public const string Category = "Estuary.AppHost";

    /// <summary>Logs a line when the application starts.</summary>
    /// <param name="builder">The application builder.</param>
    /// <param name="message">The line.</param>
    public static void Write(IDistributedApplicationBuilder builder, string message) =>
        builder.Eventing.Subscribe<BeforeStartEvent>((@event, _) =>
        {
            @event.Services.GetRequiredService<ILoggerFactory>().CreateLogger(Category).LogInformation("{Decision}", message);
            return Task.CompletedTask;
        });
}
