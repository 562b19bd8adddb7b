namespace Aspire.Hosting;

/// <summary>
/// Stops the AppHost before anything starts (an invalid setting, a port already taken); <c>AppHost.cs</c> prints the
/// message, one line saying what to do, and exits with code 1.
/// </summary>
/// <param name="message">What is wrong and what to do.</param>
public sealed class AppHostStartException(string message) : Exception(message);
