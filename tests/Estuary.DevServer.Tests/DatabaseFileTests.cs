using System.Diagnostics;
using System.Security.Cryptography;
using Microsoft.Data.Sqlite;
using Temporalio.Client;

namespace Estuary.DevServer.Tests;

/// <summary>
/// A database file the server cannot use: one clear line on stderr, exit code 2, and the file exactly as it was.
/// </summary>
public sealed class DatabaseFileTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("estuary-db-").FullName;

    public void Dispose() => Directory.Delete(_directory, recursive: true);

    private string FileNamed(string name) => Path.Combine(_directory, name);

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

    private static async Task<(int ExitCode, string Stderr)> RunToExitAsync(params string[] args)
    {
        using var process = Start(args);
        var stderr = await process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        return (process.ExitCode, stderr.Trim());
    }

    private static Task<(int ExitCode, string Stderr)> StartDevAsync(string database, params string[] extra) =>
        RunToExitAsync(["server", "start-dev", "--port", "0", "--headless", "--db-filename", database, .. extra]);

    private static string Hash(string path) => Convert.ToHexString(SHA256.HashData(File.ReadAllBytes(path)));

    private static void CreateSqlite(string path, string sql)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }

    [DevServerOnlyFact]
    public async Task Main_FileIsNotADatabase_ExitsWithCodeTwoAndLeavesItAlone()
    {
        var path = FileNamed("notes.txt");
        await File.WriteAllTextAsync(path, "These are my notes, not a database. They go on for a while so the file is longer than a header.\n");
        var before = Hash(path);

        var (exitCode, stderr) = await StartDevAsync(path);

        Assert.Equal(2, exitCode);
        Assert.Equal($"Error: {path} is not an Estuary dev server database (not an SQLite file, or a damaged one).", stderr);
        Assert.Equal(before, Hash(path));
        Assert.Equal(["notes.txt"], Directory.GetFiles(_directory).Select(Path.GetFileName));
    }

    [DevServerOnlyFact]
    public async Task Main_AnotherApplicationsSqliteFile_ExitsWithCodeTwoAndLeavesItAlone()
    {
        var path = FileNamed("other.db");
        CreateSqlite(path, "CREATE TABLE orders(id INTEGER PRIMARY KEY, total REAL); INSERT INTO orders(total) VALUES (42.5);");
        var before = Hash(path);

        var (exitCode, stderr) = await StartDevAsync(path);

        Assert.Equal(2, exitCode);
        Assert.Equal($"Error: {path} is not an Estuary dev server database (it is another application's SQLite file).", stderr);
        Assert.Equal(before, Hash(path));
    }

    [DevServerOnlyFact]
    public async Task Main_FileOfANewerSchemaVersion_ExitsWithCodeTwoAndLeavesItAlone()
    {
        var path = FileNamed("newer.db");
        CreateSqlite(path, $"CREATE TABLE future(x); PRAGMA application_id={Store.SqliteStore.ApplicationId}; PRAGMA user_version={Store.SqliteStore.SchemaVersion + 1};");
        var before = Hash(path);

        var (exitCode, stderr) = await StartDevAsync(path);

        Assert.Equal(2, exitCode);
        Assert.Equal(
            $"Error: {path} was written by a newer Estuary dev server (schema version {Store.SqliteStore.SchemaVersion + 1}; this server reads up to {Store.SqliteStore.SchemaVersion}).",
            stderr);
        Assert.Equal(before, Hash(path));
    }

    [DevServerOnlyFact]
    public async Task Main_FileInUseByAnotherRunningServer_ExitsWithCodeTwoAndTheFirstKeepsServing()
    {
        var path = FileNamed("shared.db");
        var port = FreePort();
        using var first = Start("server", "start-dev", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--headless", "--log-level", "warn", "--db-filename", path);
        try
        {
            var ready = await first.StandardOutput.ReadLineAsync();
            Assert.StartsWith($"Temporal dev server listening on 127.0.0.1:{port}", ready, StringComparison.Ordinal);

            var (exitCode, stderr) = await StartDevAsync(path);

            Assert.Equal(2, exitCode);
            Assert.Equal($"Error: {path} is in use by another running Estuary dev server (the file is locked).", stderr);
            var client = await TemporalClient.ConnectAsync(new($"127.0.0.1:{port}"));
            var described = await client.WorkflowService.DescribeNamespaceAsync(new() { Namespace = "default" });
            Assert.Equal("default", described.NamespaceInfo.Name);
        }
        finally
        {
            first.Kill();
            await first.WaitForExitAsync();
        }
    }

    [DevServerOnlyFact]
    public async Task Main_DatabaseWithTimeSkipping_ExitsWithCodeTwoAndCreatesNoFile()
    {
        var path = FileNamed("skipping.db");

        var (exitCode, stderr) = await StartDevAsync(path, "--time-skipping");

        Assert.Equal(2, exitCode);
        Assert.StartsWith("Error: Time skipping and a database file do not go together", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain('\n', stderr);
        Assert.False(File.Exists(path));
    }

    [DevServerOnlyFact]
    public async Task Main_DatabaseInAMissingDirectory_ExitsWithCodeTwo()
    {
        var path = Path.Combine(_directory, "missing", "state.db");

        var (exitCode, stderr) = await StartDevAsync(path);

        Assert.Equal(2, exitCode);
        Assert.Equal($"Error: cannot create {path}: the directory {Path.GetDirectoryName(path)} does not exist.", stderr);
    }

    [DevServerOnlyFact]
    public async Task StartAsync_FileOfANewerSchemaVersion_ThrowsAndLeavesItAlone()
    {
        var path = FileNamed("newer-in-process.db");
        CreateSqlite(path, $"PRAGMA application_id={Store.SqliteStore.ApplicationId}; PRAGMA user_version=99;");
        var before = Hash(path);

        var error = await Assert.ThrowsAsync<DevServerDatabaseException>(() => TemporalDevServer.StartAsync(new DevServerOptions { DatabasePath = path }));

        Assert.Contains("schema version 99", error.Message, StringComparison.Ordinal);
        Assert.Equal(before, Hash(path));
    }

    [DevServerOnlyFact]
    public async Task StartAsync_EmptySqliteFile_IsMadeAnEstuaryStoreOfTheCurrentVersion()
    {
        var path = FileNamed("empty.db");
        CreateSqlite(path, "PRAGMA user_version=0;");

        await using (var server = await TemporalDevServer.StartAsync(new DevServerOptions { DatabasePath = path }))
        {
            var client = await TemporalClient.ConnectAsync(new(server.Address));
            var cluster = await client.WorkflowService.GetClusterInfoAsync(new());
            Assert.Equal("sqlite", cluster.PersistenceStore);
        }

        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        connection.Open();
        using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA application_id; ";
        Assert.Equal((long)Store.SqliteStore.ApplicationId, command.ExecuteScalar());
        command.CommandText = "PRAGMA user_version;";
        Assert.Equal((long)Store.SqliteStore.SchemaVersion, command.ExecuteScalar());
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, 0);
        listener.Start();
        return ((System.Net.IPEndPoint)listener.LocalEndpoint).Port;
    }
}
