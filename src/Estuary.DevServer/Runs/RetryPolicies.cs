using Estuary.DevServer.Grpc;
using Google.Protobuf.WellKnownTypes;
using Temporalio.Api.Common.V1;
using Temporalio.Api.Enums.V1;
using Temporalio.Api.Failure.V1;

namespace Estuary.DevServer.Runs;

/// <summary>Temporal's retry policy rules, shared by activities and workflow runs.</summary>
internal static class RetryPolicies
{
    /// <summary>Rejects a policy Temporal rejects, with Temporal's messages.</summary>
    public static void Validate(RetryPolicy? policy)
    {
        if (policy is null)
        {
            return;
        }
        if (policy.MaximumAttempts < 0)
        {
            throw RpcErrors.InvalidArgument("MaximumAttempts cannot be negative on retry policy.");
        }
        if (policy.BackoffCoefficient != 0 && policy.BackoffCoefficient < 1)
        {
            throw RpcErrors.InvalidArgument("BackoffCoefficient cannot be less than 1 on retry policy.");
        }
        if (policy.InitialInterval?.ToTimeSpan() < TimeSpan.Zero)
        {
            throw RpcErrors.InvalidArgument("InitialInterval cannot be negative on retry policy.");
        }
        if (policy.MaximumInterval?.ToTimeSpan() < TimeSpan.Zero)
        {
            throw RpcErrors.InvalidArgument("MaximumInterval cannot be negative on retry policy.");
        }
        if (policy.MaximumInterval is not null && policy.InitialInterval is not null
            && policy.MaximumInterval.ToTimeSpan() > TimeSpan.Zero
            && policy.MaximumInterval.ToTimeSpan() < policy.InitialInterval.ToTimeSpan())
        {
            throw RpcErrors.InvalidArgument("MaximumInterval cannot be less than InitialInterval on retry policy.");
        }
    }

    /// <summary>Temporal's defaults: 1 s initial interval, coefficient 2, maximum interval 100 × initial, unlimited attempts.</summary>
    public static RetryPolicy WithDefaults(RetryPolicy? given)
    {
        var policy = given?.Clone() ?? new RetryPolicy();
        if (policy.InitialInterval is null || policy.InitialInterval.ToTimeSpan() <= TimeSpan.Zero)
        {
            policy.InitialInterval = Duration.FromTimeSpan(TimeSpan.FromSeconds(1));
        }
        if (policy.BackoffCoefficient < 1)
        {
            policy.BackoffCoefficient = 2.0;
        }
        if (policy.MaximumInterval is null || policy.MaximumInterval.ToTimeSpan() <= TimeSpan.Zero)
        {
            policy.MaximumInterval = Duration.FromTimeSpan(policy.InitialInterval.ToTimeSpan() * 100);
        }
        return policy;
    }

    /// <summary>
    /// Whether attempt <paramref name="attempt"/>, which failed with <paramref name="failure"/>, is retried and after
    /// what backoff: non-retryable types, the attempt limit, an explicit next-retry delay, exponential backoff, and
    /// the time <paramref name="remaining"/> (if bounded) the retry has to fit in.
    /// </summary>
    public static (RetryState State, TimeSpan? Backoff) Decide(RetryPolicy policy, int attempt, Failure? failure, TimeSpan? remaining)
    {
        var application = failure?.ApplicationFailureInfo;
        if (application is not null && (application.NonRetryable || policy.NonRetryableErrorTypes.Contains(application.Type)))
        {
            return (RetryState.NonRetryableFailure, null);
        }
        if (policy.MaximumAttempts > 0 && attempt >= policy.MaximumAttempts)
        {
            return (RetryState.MaximumAttemptsReached, null);
        }
        TimeSpan backoff;
        if (application?.NextRetryDelay?.ToTimeSpan() is { } explicitDelay && explicitDelay > TimeSpan.Zero)
        {
            backoff = explicitDelay;
        }
        else
        {
            var initial = policy.InitialInterval.ToTimeSpan();
            var maximum = policy.MaximumInterval.ToTimeSpan();
            var seconds = initial.TotalSeconds * Math.Pow(policy.BackoffCoefficient, attempt - 1);
            backoff = seconds >= maximum.TotalSeconds ? maximum : TimeSpan.FromSeconds(seconds);
        }
        if (remaining is { } left && backoff >= left)
        {
            return (RetryState.Timeout, null);
        }
        return (RetryState.InProgress, backoff);
    }
}
