using Estuary.DevServer.CommandLine;

namespace Estuary.DevServer.Tests;

public sealed class DatabaseCommandLineTests
{
    [Theory]
    [InlineData(new[] { "server", "start-dev" }, null, false)]
    [InlineData(new[] { "server", "start-dev", "--db-filename", "state.db" }, "state.db", false)]
    [InlineData(new[] { "server", "start-dev", "-f", "state.db", "--sqlite-pragma", "synchronous=FULL" }, "state.db", true)]
    [InlineData(new[] { "server", "start-dev", "--db-filename=state.db", "--sqlite-pragma", "journal_mode=wal" }, "state.db", false)]
    public void Parse_DatabaseFlags_SetTheOptions(string[] args, string? path, bool syncEveryWrite)
    {
        var options = DevServerCommandLine.Parse(args, _ => null).Options;
        Assert.Equal((path, syncEveryWrite), (options.DatabasePath, options.SyncEveryWrite));
    }

    [Fact]
    public void Parse_UnsupportedSqlitePragma_ThrowsFormatExceptionNamingIt()
    {
        var error = Assert.Throws<FormatException>(() => DevServerCommandLine.Parse(["server", "start-dev", "--sqlite-pragma", "cache_size=9"], _ => null));
        Assert.Equal("unsupported --sqlite-pragma cache_size=9 (the Estuary dev server takes synchronous=FULL or synchronous=NORMAL)", error.Message);
    }
}
