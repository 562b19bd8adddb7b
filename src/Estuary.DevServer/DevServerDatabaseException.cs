namespace Estuary.DevServer;

/// <summary>
/// The database file (<see cref="DevServerOptions.DatabasePath"/>) cannot be used: it is not an Estuary dev server
/// database, was written by a newer server, is in use by another running server, or cannot be opened. The message is
/// one line naming the file and the problem; the file is left as it was.
/// </summary>
public sealed class DevServerDatabaseException : Exception
{
    /// <summary>Creates the exception with its one-line message.</summary>
    public DevServerDatabaseException(string message)
        : base(message)
    {
    }

    /// <summary>Creates the exception with its one-line message and the error behind it.</summary>
    public DevServerDatabaseException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
