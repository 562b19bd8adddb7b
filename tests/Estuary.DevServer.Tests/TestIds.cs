namespace Estuary.DevServer.Tests;

/// <summary>Unique task queue and workflow ids per test so tests never see each other's work.</summary>
internal static class TestIds
{
    public static string New(string prefix) => $"{prefix}-{Guid.NewGuid():N}";
}
