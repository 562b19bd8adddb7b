using System.Runtime.CompilerServices;

namespace Estuary.DevServer.Tests;

/// <summary>
/// A test of the Estuary dev server itself (time skipping, its executable): skipped when the suite runs
/// against another Temporal server through <c>ESTUARY_TEMPORAL_ADDRESS</c>.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class DevServerOnlyFactAttribute : FactAttribute
{
    public DevServerOnlyFactAttribute([CallerFilePath] string? sourceFilePath = null, [CallerLineNumber] int sourceLineNumber = -1)
        : base(sourceFilePath, sourceLineNumber)
    {
        if (ServerFixture.ExternalAddress is { Length: > 0 })
        {
            Skip = "Needs the Estuary dev server (time skipping or its executable); ESTUARY_TEMPORAL_ADDRESS points elsewhere.";
        }
    }
}
