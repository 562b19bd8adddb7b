namespace Estuary.DevServer.Visibility;

/// <summary>A visibility query that cannot be parsed or does not fit the namespace's search attributes.</summary>
internal sealed class InvalidQueryException(string message) : Exception(message);
