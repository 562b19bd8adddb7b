using Estuary.Temporal.Configuration;
using Estuary.Temporal.Workflows;
using Temporalio.Workflows;

namespace Estuary.Tests.Temporal;

public sealed class EstuaryWorkflowTests
{
    [Fact]
    public void CreateActivityOptions_NoOverride_UsesEstuaryDefaults()
    {
        var options = new OptionsProbe().Create();

        Assert.Equal((TimeSpan.FromMinutes(1), TimeSpan.FromSeconds(10)), (options.StartToCloseTimeout, options.HeartbeatTimeout));
        var retry = options.RetryPolicy!;
        Assert.Equal((TimeSpan.FromSeconds(1), 2f, TimeSpan.FromMinutes(1), 5), (retry.InitialInterval, retry.BackoffCoefficient, retry.MaximumInterval, retry.MaximumAttempts));
        Assert.Empty(retry.NonRetryableErrorTypes!);
    }

    [Fact]
    public void CreateActivityOptions_CallOverrides_WinOverTheDefaultsForThatCallOnly()
    {
        var probe = new OptionsProbe();

        var overridden = probe.Create(TimeSpan.FromSeconds(10), o => o.RetryPolicy!.MaximumAttempts = 1);
        var next = probe.Create();

        Assert.Equal((TimeSpan.FromSeconds(10), 1), (overridden.StartToCloseTimeout, overridden.RetryPolicy!.MaximumAttempts));
        Assert.Equal((TimeSpan.FromMinutes(1), 5), (next.StartToCloseTimeout, next.RetryPolicy!.MaximumAttempts));
    }

    [Fact]
    public void ToActivityOptions_ConfiguredDefaults_BecomeTheRetryPolicy()
    {
        var defaults = new ActivityDefaultsOptions
        {
            StartToCloseTimeout = TimeSpan.FromSeconds(20),
            InitialInterval = TimeSpan.FromSeconds(2),
            BackoffCoefficient = 3,
            MaximumInterval = TimeSpan.FromSeconds(30),
            MaximumAttempts = 7,
            NonRetryableErrorTypes = ["EntityNotFound"],
        };

        var options = defaults.ToActivityOptions();

        var retry = options.RetryPolicy!;
        Assert.Equal(
            (TimeSpan.FromSeconds(20), TimeSpan.FromSeconds(2), 3f, TimeSpan.FromSeconds(30), 7),
            (options.StartToCloseTimeout, retry.InitialInterval, retry.BackoffCoefficient, retry.MaximumInterval, retry.MaximumAttempts));
        Assert.Equal(["EntityNotFound"], retry.NonRetryableErrorTypes!);
    }

    [Fact]
    public void Validate_EveryValueWrong_NamesEveryKey()
    {
        var defaults = new ActivityDefaultsOptions
        {
            StartToCloseTimeout = TimeSpan.Zero,
            HeartbeatTimeout = TimeSpan.FromSeconds(-1),
            InitialInterval = TimeSpan.FromSeconds(-1),
            BackoffCoefficient = 0.5,
            MaximumInterval = TimeSpan.FromSeconds(-2),
            MaximumAttempts = -1,
            NonRetryableErrorTypes = [" "],
        };

        var errors = defaults.Validate("Estuary:Domains:example:Activities");

        Assert.Equal(
            ["StartToCloseTimeout", "HeartbeatTimeout", "InitialInterval", "BackoffCoefficient", "MaximumInterval", "MaximumAttempts", "NonRetryableErrorTypes"],
            errors.Select(e => e.Split('\'')[1].Split(':')[^1]));
    }

    [Fact]
    public void ToActivityOptions_ZeroHeartbeatTimeout_SetsNone()
    {
        var options = new ActivityDefaultsOptions { HeartbeatTimeout = TimeSpan.Zero }.ToActivityOptions();

        Assert.Null(options.HeartbeatTimeout);
    }

    // CreateActivityOptions reads no Workflow.* API, so it can be checked outside a workflow.
    private sealed class OptionsProbe : EstuaryWorkflow
    {
        public ActivityOptions Create(TimeSpan? startToCloseTimeout = null, Action<ActivityOptions>? configure = null) =>
            CreateActivityOptions(startToCloseTimeout, configure);
    }
}
