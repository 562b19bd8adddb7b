namespace Estuary.Temporal.Activities;

/// <summary>
/// Marks an <see cref="Temporalio.Activities.ActivityAttribute">activity</see> method whose database effect must
/// happen once (the seed's <c>@transactional_activity</c>): the worker runs it inside one transaction of its domain's
/// DbContext, within the context's execution strategy, records its result in the same transaction, and on a retry
/// after a committed attempt returns the recorded result without running the method again. The activity class gets
/// that same DbContext (and transaction) by constructor injection.
/// </summary>
[AttributeUsage(AttributeTargets.Method, Inherited = false)]
public sealed class TransactionalAttribute : Attribute
{
}
