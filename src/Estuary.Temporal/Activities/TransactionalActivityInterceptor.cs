using System.Text.Json;
using Estuary.Temporal.Data;
using Estuary.Temporal.Domains;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Temporalio.Activities;
using Temporalio.Extensions.Hosting;
using Temporalio.Worker.Interceptors;

namespace Estuary.Temporal.Activities;

/// <summary>
/// Runs every <see cref="TransactionalAttribute">[Transactional]</see> activity inside one database transaction with an
/// idempotency record, the way eShop's <c>TransactionBehavior</c> wraps a command: it creates the activity's DI scope
/// itself (<see cref="ActivityScope.ServiceScope"/>), so the activity class is constructed with the very DbContext that
/// holds the transaction.
/// </summary>
public sealed class TransactionalActivityInterceptor : IWorkerInterceptor
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    private readonly IServiceProvider _services;
    private readonly ILogger _logger;
    private readonly Dictionary<string, Type> _contextTypeByActivity;

    /// <summary>Initializes a new instance of the <see cref="TransactionalActivityInterceptor"/> class.</summary>
    /// <param name="services">The root service provider, from which one scope per activity execution is created.</param>
    /// <param name="domains">The domains served by the worker.</param>
    /// <exception cref="InvalidOperationException">A transactional activity belongs to a domain without a database.</exception>
    public TransactionalActivityInterceptor(IServiceProvider services, IEnumerable<DomainDescriptor> domains)
    {
        _services = services;
        _logger = services.GetRequiredService<ILoggerFactory>().CreateLogger<TransactionalActivityInterceptor>();
        _contextTypeByActivity = new Dictionary<string, Type>(StringComparer.Ordinal);
        foreach (var domain in domains)
        {
            foreach (var activity in domain.Activities.Where(a => a.Method.IsDefined(typeof(TransactionalAttribute), inherit: false)))
            {
                _contextTypeByActivity[activity.Name] = domain.Domain.DbContextType
                    ?? throw new InvalidOperationException(
                        $"Activity '{activity.Name}' is [Transactional] but domain '{domain.Domain.Name}' has no database (derive the domain from EstuaryDomain<TContext>).");
            }
        }
    }

    /// <inheritdoc />
    public ActivityInboundInterceptor InterceptActivity(ActivityInboundInterceptor nextInterceptor) =>
        new Inbound(nextInterceptor, this);

    private static Type? ResultType(ActivityDefinition activity)
    {
        var type = activity.ReturnType;
        if (type.IsGenericType && (type.GetGenericTypeDefinition() == typeof(Task<>) || type.GetGenericTypeDefinition() == typeof(ValueTask<>)))
        {
            return type.GetGenericArguments()[0];
        }

        return type == typeof(void) || type == typeof(Task) || type == typeof(ValueTask) ? null : type;
    }

    private sealed class Inbound(ActivityInboundInterceptor next, TransactionalActivityInterceptor owner)
        : ActivityInboundInterceptor(next)
    {
        public override async Task<object?> ExecuteActivityAsync(ExecuteActivityInput input)
        {
            if (input.Activity.Name is not { } name || !owner._contextTypeByActivity.TryGetValue(name, out var contextType))
            {
                return await base.ExecuteActivityAsync(input);
            }

            await using var scope = owner._services.CreateAsyncScope();
            var db = (EstuaryDbContext)scope.ServiceProvider.GetRequiredService(contextType);
            if (db.Database.CurrentTransaction is not null)
            {
                ActivityScope.ServiceScope = scope;
                return await base.ExecuteActivityAsync(input);
            }

            var context = ActivityExecutionContext.Current;
            var info = context.Info;
            var workflowId = info.WorkflowId ?? string.Empty;
            var runId = info.WorkflowRunId ?? string.Empty;
            var cancellationToken = context.CancellationToken;
            var resultType = ResultType(input.Activity);
            var strategy = db.Database.CreateExecutionStrategy();

            // The whole unit (lookup, body, record, commit) is what the strategy retries on a transient failure; the
            // lookup also settles a commit whose outcome was unknown: if it went through, its record is there.
            // Any exception leaves the transaction uncommitted, and disposing it rolls it back.
            return await strategy.ExecuteAsync(async () =>
            {
                db.ChangeTracker.Clear();
                await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                using var logScope = owner._logger.BeginScope("TransactionId:{TransactionId}", transaction.TransactionId);

                var recorded = await db.ActivityResults.AsNoTracking().SingleOrDefaultAsync(
                    r => r.WorkflowId == workflowId && r.RunId == runId && r.ActivityId == info.ActivityId,
                    cancellationToken);
                if (recorded is not null)
                {
                    owner._logger.LogInformation(
                        "Activity {ActivityType} {ActivityId} already committed its effect at {CompletedAt}; returning the recorded result",
                        info.ActivityType,
                        info.ActivityId,
                        recorded.CompletedAt);
                    return resultType is null ? null : JsonSerializer.Deserialize(recorded.Result, resultType, JsonOptions);
                }

                owner._logger.LogDebug("Begin transaction {TransactionId} for activity {ActivityType}", transaction.TransactionId, info.ActivityType);
                ActivityScope.ServiceScope = scope;
                var result = await base.ExecuteActivityAsync(input);

                db.ActivityResults.Add(new ActivityResult
                {
                    WorkflowId = workflowId,
                    RunId = runId,
                    ActivityId = info.ActivityId,
                    ActivityType = info.ActivityType,
                    Result = resultType is null ? "null" : JsonSerializer.Serialize(result, resultType, JsonOptions),
                    CompletedAt = DateTimeOffset.UtcNow,
                });
                await db.SaveChangesAsync(cancellationToken);
                await transaction.CommitAsync(cancellationToken);
                owner._logger.LogDebug("Committed transaction {TransactionId} for activity {ActivityType}", transaction.TransactionId, info.ActivityType);
                return result;
            });
        }
    }
}
