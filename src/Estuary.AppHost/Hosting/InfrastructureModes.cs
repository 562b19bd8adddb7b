namespace Aspire.Hosting;

/// <summary>How the Temporal server is run (configuration key <c>Temporal:Mode</c>).</summary>
public enum TemporalMode
{
    /// <summary><see cref="Container"/> when a container runtime is healthy, else <see cref="Cli"/> when <c>temporal</c> is on PATH, else <see cref="Embedded"/>.</summary>
    Auto,

    /// <summary>Temporal's dev server image (<c>temporalio/temporal server start-dev</c>).</summary>
    Container,

    /// <summary>The <c>temporal</c> CLI found on PATH, run as <c>temporal server start-dev</c>.</summary>
    Cli,

    /// <summary>The project's own in-memory server, <c>Estuary.DevServer</c>.</summary>
    Embedded,
}

/// <summary>How PostgreSQL is run (configuration key <c>Postgres:Mode</c>).</summary>
public enum PostgresMode
{
    /// <summary><see cref="Container"/> when a container runtime is healthy, else <see cref="Local"/>.</summary>
    Auto,

    /// <summary>Aspire's PostgreSQL container with a data volume.</summary>
    Container,

    /// <summary>The machine's PostgreSQL server binaries, run as an executable with a data directory in the AppHost's state directory.</summary>
    Local,
}
