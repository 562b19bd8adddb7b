using System.Linq.Expressions;
using Estuary.Temporal.Configuration;
using Temporalio.Workflows;

namespace Estuary.Temporal.Workflows;

/// <summary>
/// Base of every Estuary workflow (the seed's <c>BaseWorkflow</c>): runs activities with the domain's default
/// options (timeout and retry policy, see <see cref="ActivityDefaultsOptions"/>), which each call may override.
/// The defaults are handed to the instance by the worker before any workflow code runs and never change during a
/// run, so using them is deterministic.
/// </summary>
public abstract class EstuaryWorkflow
{
    private static readonly ActivityDefaultsOptions EstuaryDefaults = new();

    /// <summary>Gets or sets the defaults of the workflow's domain; set by <see cref="ActivityDefaultsInterceptor"/>.</summary>
    internal ActivityDefaultsOptions? Defaults { get; set; }

    /// <summary>Builds the options of one activity call: the domain's defaults, then the overrides.</summary>
    /// <param name="startToCloseTimeout">Overrides the maximum time of one attempt.</param>
    /// <param name="configure">Overrides anything else (retry policy, heartbeat timeout, task queue, …).</param>
    /// <returns>New options, owned by the caller.</returns>
    protected ActivityOptions CreateActivityOptions(TimeSpan? startToCloseTimeout = null, Action<ActivityOptions>? configure = null)
    {
        var options = (Defaults ?? EstuaryDefaults).ToActivityOptions();
        if (startToCloseTimeout is { } timeout)
        {
            options.StartToCloseTimeout = timeout;
        }

        configure?.Invoke(options);
        return options;
    }

    /// <summary>Runs an activity method returning a result, called by lambda: <c>ExecuteActivityAsync((MyActivities a) => a.DoAsync(id))</c>.</summary>
    /// <typeparam name="TActivities">The activity class.</typeparam>
    /// <typeparam name="TResult">The activity's result type.</typeparam>
    /// <param name="activity">The call.</param>
    /// <param name="startToCloseTimeout">Overrides the maximum time of one attempt.</param>
    /// <param name="configure">Overrides any other option.</param>
    /// <returns>The activity's result.</returns>
    protected Task<TResult> ExecuteActivityAsync<TActivities, TResult>(
        Expression<Func<TActivities, Task<TResult>>> activity,
        TimeSpan? startToCloseTimeout = null,
        Action<ActivityOptions>? configure = null) =>
        Workflow.ExecuteActivityAsync(activity, CreateActivityOptions(startToCloseTimeout, configure));

    /// <summary>Runs an activity method without result, called by lambda.</summary>
    /// <typeparam name="TActivities">The activity class.</typeparam>
    /// <param name="activity">The call.</param>
    /// <param name="startToCloseTimeout">Overrides the maximum time of one attempt.</param>
    /// <param name="configure">Overrides any other option.</param>
    /// <returns>A task completing with the activity.</returns>
    protected Task ExecuteActivityAsync<TActivities>(
        Expression<Func<TActivities, Task>> activity,
        TimeSpan? startToCloseTimeout = null,
        Action<ActivityOptions>? configure = null) =>
        Workflow.ExecuteActivityAsync(activity, CreateActivityOptions(startToCloseTimeout, configure));

    /// <summary>Runs an activity by its type name (the seed's <c>execute_activity("get_entity_details", entity_id)</c>),
    /// for activities registered elsewhere or in another language.</summary>
    /// <typeparam name="TResult">The activity's result type.</typeparam>
    /// <param name="activity">The activity type name.</param>
    /// <param name="args">The activity's arguments.</param>
    /// <param name="startToCloseTimeout">Overrides the maximum time of one attempt.</param>
    /// <param name="configure">Overrides any other option.</param>
    /// <returns>The activity's result.</returns>
    protected Task<TResult> ExecuteActivityAsync<TResult>(
        string activity,
        IReadOnlyCollection<object?> args,
        TimeSpan? startToCloseTimeout = null,
        Action<ActivityOptions>? configure = null) =>
        Workflow.ExecuteActivityAsync<TResult>(activity, args, CreateActivityOptions(startToCloseTimeout, configure));
}
