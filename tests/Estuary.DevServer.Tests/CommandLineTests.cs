using System.Diagnostics;
using Temporalio.Client;

namespace Estuary.DevServer.Tests;

public sealed class CommandLineTests
{
    private static Process Start(params string[] args)
    {
        var info = new ProcessStartInfo(DevServerExecutable.Path)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var arg in args)
        {
            info.ArgumentList.Add(arg);
        }
        return Process.Start(info)!;
    }

    [DevServerOnlyFact]
    public async Task Main_UnknownFlag_ExitsWithCodeTwoAndOneErrorLine()
    {
        using var process = Start("server", "start-dev", "--no-such-flag");
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        Assert.Equal(2, process.ExitCode);
        Assert.Equal("Error: unknown flag: --no-such-flag", stderr.Trim());
    }

    [DevServerOnlyFact]
    public async Task Main_StartDevWithExtraNamespace_ServesThatNamespace()
    {
        var port = FreePort();
        using var process = Start("server", "start-dev", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            "--ip", "127.0.0.1", "--namespace", "extra", "--headless", "--ui-port", "1", "--log-level", "warn", "--log-format", "json",
            "--search-attribute", "Region=Keyword", "--dynamic-config-value", "frontend.enableUpdateWorkflowExecution=true");
        try
        {
            var line = await process.StandardOutput.ReadLineAsync();
            Assert.StartsWith($"Temporal dev server listening on 127.0.0.1:{port}", line, StringComparison.Ordinal);
            var client = await TemporalClient.ConnectAsync(new($"127.0.0.1:{port}") { Namespace = "extra" });
            var described = await client.Connection.WorkflowService.DescribeNamespaceAsync(new() { Namespace = "extra" });
            Assert.Equal("extra", described.NamespaceInfo.Name);
            var attributes = await client.Connection.OperatorService.ListSearchAttributesAsync(new() { Namespace = "extra" });
            Assert.Equal(Temporalio.Api.Enums.V1.IndexedValueType.Keyword, attributes.CustomAttributes["Region"]);
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync();
        }
    }

    [Theory]
    [InlineData(new string[0], true)]
    [InlineData(new[] { "server", "start-dev", "--dynamic-config-value", "system.enableEagerWorkflowStart=false" }, false)]
    [InlineData(new[] { "server", "start-dev", "--dynamic-config-value=system.enableEagerWorkflowStart=true" }, true)]
    public void Parse_EagerWorkflowStartDynamicConfig_SetsOption(string[] args, bool expected)
    {
        var parsed = CommandLine.DevServerCommandLine.Parse(args, _ => null);
        Assert.Equal(expected, parsed.Options.EnableEagerWorkflowStart);
    }

    [Fact]
    public void Parse_EagerWorkflowStartNotABoolean_ThrowsFormatException()
    {
        var error = Assert.Throws<FormatException>(() => CommandLine.DevServerCommandLine.Parse(
            ["server", "start-dev", "--dynamic-config-value", "system.enableEagerWorkflowStart=maybe"], _ => null));
        Assert.Contains("system.enableEagerWorkflowStart", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(new[] { "server", "start-dev" }, 8233, null)]
    [InlineData(new[] { "server", "start-dev", "--port", "7300" }, 8300, null)]
    [InlineData(new[] { "server", "start-dev", "--port", "0" }, 0, null)]
    [InlineData(new[] { "server", "start-dev", "--ui-port", "9000", "--ui-ip", "0.0.0.0" }, 9000, "0.0.0.0")]
    [InlineData(new[] { "server", "start-dev", "--headless", "--ui-port", "9000" }, null, null)]
    [InlineData(new[] { "7400" }, null, null)]
    public void Parse_UiFlags_SetUiPortAndIpAsStartDev(string[] args, int? uiPort, string? uiIp)
    {
        var parsed = CommandLine.DevServerCommandLine.Parse(args, _ => null);
        Assert.Equal(uiPort, parsed.Options.UiPort);
        Assert.Equal(uiIp, parsed.Options.UiIp);
    }

    [Theory]
    [InlineData(new[] { "server", "start-dev", "--port", "65000" }, "--ui-port")]
    [InlineData(new[] { "server", "start-dev", "--ui-ip", "nowhere" }, "--ui-ip")]
    [InlineData(new[] { "server", "start-dev", "--ui-port", "70000" }, "--ui-port")]
    public void Parse_InvalidUiSetting_ThrowsFormatExceptionNamingTheFlag(string[] args, string flag)
    {
        var error = Assert.Throws<FormatException>(() => CommandLine.DevServerCommandLine.Parse(args, _ => null));
        Assert.Contains(flag, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UiCodecEndpoint_FlagOverEnvironmentTokenFromTheEnvironmentOnly()
    {
        var environment = new Dictionary<string, string> { ["TEMPORAL_CODEC_ENDPOINT"] = "http://localhost:5100/codec", ["ESTUARY_CODEC_ACCESS_TOKEN"] = "secret" };

        var fromEnvironment = CommandLine.DevServerCommandLine.Parse(["server", "start-dev"], environment.GetValueOrDefault);
        var fromFlag = CommandLine.DevServerCommandLine.Parse(["server", "start-dev", "--ui-codec-endpoint", "http://worker:8080/codec/"], environment.GetValueOrDefault);
        var error = Assert.Throws<FormatException>(() => CommandLine.DevServerCommandLine.Parse(["server", "start-dev", "--ui-codec-endpoint", "worker:8080"], _ => null));

        Assert.Equal(new Uri("http://localhost:5100/codec"), fromEnvironment.Options.UiCodecEndpoint);
        Assert.Equal(new Uri("http://worker:8080/codec"), fromFlag.Options.UiCodecEndpoint);
        Assert.Equal("secret", fromFlag.Options.UiCodecAccessToken);
        Assert.Contains("--ui-codec-endpoint", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Parse_UiCodecAccessTokenFile_FlagOverVariableOverTheTokenItself()
    {
        var directory = Directory.CreateTempSubdirectory("codec-token-");
        try
        {
            var flagFile = Path.Combine(directory.FullName, "flag");
            var variableFile = Path.Combine(directory.FullName, "variable");
            File.WriteAllText(flagFile, "from-flag\r\n");
            File.WriteAllText(variableFile, "from-variable");
            var environment = new Dictionary<string, string> { ["ESTUARY_CODEC_ACCESS_TOKEN_FILE"] = variableFile, ["ESTUARY_CODEC_ACCESS_TOKEN"] = "from-environment" };

            var fromFlag = CommandLine.DevServerCommandLine.Parse(["server", "start-dev", "--ui-codec-access-token-file", flagFile], environment.GetValueOrDefault);
            var fromVariable = CommandLine.DevServerCommandLine.Parse(["server", "start-dev"], environment.GetValueOrDefault);
            environment.Remove("ESTUARY_CODEC_ACCESS_TOKEN_FILE");
            var fromToken = CommandLine.DevServerCommandLine.Parse(["server", "start-dev"], environment.GetValueOrDefault);

            Assert.Equal("from-flag", fromFlag.Options.UiCodecAccessToken);
            Assert.Equal("from-variable", fromVariable.Options.UiCodecAccessToken);
            Assert.Equal("from-environment", fromToken.Options.UiCodecAccessToken);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    [Fact]
    public void Parse_UiCodecAccessTokenFileEmptyOrMissing_ThrowsFormatExceptionNamingTheFile()
    {
        var directory = Directory.CreateTempSubdirectory("codec-token-");
        try
        {
            var empty = Path.Combine(directory.FullName, "empty");
            File.WriteAllText(empty, "\n");
            var missing = Path.Combine(directory.FullName, "missing");
            var environment = new Dictionary<string, string> { ["ESTUARY_CODEC_ACCESS_TOKEN_FILE"] = missing };

            var emptyError = Assert.Throws<FormatException>(() => CommandLine.DevServerCommandLine.Parse(["server", "start-dev", "--ui-codec-access-token-file", empty], _ => null));
            var missingError = Assert.Throws<FormatException>(() => CommandLine.DevServerCommandLine.Parse(["server", "start-dev"], environment.GetValueOrDefault));

            Assert.Equal($"invalid value for --ui-codec-access-token-file: {empty} (the file is empty)", emptyError.Message);
            Assert.Equal($"invalid value for ESTUARY_CODEC_ACCESS_TOKEN_FILE: {missing} (no such file)", missingError.Message);
        }
        finally
        {
            directory.Delete(recursive: true);
        }
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
