namespace Estuary.DevServer.Store;

/// <summary>The store of a server without a database file: it keeps nothing, so a restart starts empty.</summary>
internal sealed class InMemoryStore : IServerStore
{
    public bool IsDurable => false;

    public string Kind => "memory";

    public StoredState Load() => new();

    public void Write(StoreBatch batch)
    {
    }

    public void Dispose()
    {
    }
}
