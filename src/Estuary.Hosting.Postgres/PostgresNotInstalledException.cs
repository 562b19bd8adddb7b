namespace Estuary.Hosting.Postgres;

/// <summary>
/// The machine cannot run a local PostgreSQL server: the server binaries (or, when running as root, the
/// <c>postgres</c> system user) are missing. The message is one line that says what to install.
/// </summary>
public sealed class PostgresNotInstalledException : Exception
{
    /// <summary>Initializes a new instance of the <see cref="PostgresNotInstalledException"/> class.</summary>
    /// <param name="message">One line naming what is missing and how to install it.</param>
    public PostgresNotInstalledException(string message)
        : base(message)
    {
    }
}
