using System.Reflection;

namespace Estuary.DevServer.Tests;

/// <summary>Path of the built Estuary.DevServer executable (same configuration as the tests).</summary>
internal static class DevServerExecutable
{
    public static string Path { get; } = typeof(DevServerExecutable).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "DevServerExecutable").Value!;
}
