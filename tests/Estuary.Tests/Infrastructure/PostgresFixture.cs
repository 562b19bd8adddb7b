using Estuary.Testing;

namespace Estuary.Tests.Infrastructure;

/// <summary>
/// A real PostgreSQL server (<see cref="LocalPostgres"/>) for the whole test run. Each test class gets a fresh database
/// from <see cref="CreateDatabaseAsync"/> or <see cref="DatabaseForAsync"/>.
/// </summary>
public sealed class PostgresFixture : IAsyncLifetime, IAsyncDisposable
{
    private readonly LocalPostgres _server = new();
    private readonly System.Collections.Concurrent.ConcurrentDictionary<Type, Task<string>> _databases = new();

    /// <summary>Gets the port the server listens on.</summary>
    public int Port => _server.Port;

    /// <inheritdoc />
    public async ValueTask InitializeAsync() => await _server.StartAsync();

    /// <summary>Gets the database of a test class, created empty on first use: tests of one class share it (each
    /// test uses its own workflow ids and rows), so a database and its migration are paid once per class.</summary>
    /// <param name="testClass">The test class.</param>
    /// <returns>Its connection string.</returns>
    public Task<string> DatabaseForAsync(Type testClass) =>
        _databases.GetOrAdd(testClass, type => CreateDatabaseAsync(type.Name));

    /// <summary>Creates an empty database with a unique name.</summary>
    /// <param name="prefix">A readable prefix, e.g. the test class name.</param>
    /// <returns>Its connection string (no connection pooling, so the server can stop at once at the end).</returns>
    public Task<string> CreateDatabaseAsync(string prefix) => _server.CreateDatabaseAsync(prefix);

    /// <inheritdoc />
    public async ValueTask DisposeAsync() => await _server.DisposeAsync();

    /// <inheritdoc />
    ValueTask IAsyncDisposable.DisposeAsync() => _server.DisposeAsync();
}

/// <summary>The test collection sharing one <see cref="PostgresFixture"/>: <c>[Collection(UsesPostgres.Name)]</c>.</summary>
[CollectionDefinition(Name)]
public sealed class UsesPostgres : ICollectionFixture<PostgresFixture>
{
    /// <summary>The collection name.</summary>
    public const string Name = "postgres";
}
