using Estuary.Cli;
using Estuary.Cli.Commands;

namespace Estuary.Tests.Commands;

public sealed class ListCommandTests
{
    [Fact]
    public async Task RunAsync_SampleDomain_ShowsTaskQueueWorkflowArgumentsAndActivities()
    {
        var (exitCode, output, error) = await CommandLineRunner.RunAsync([new SampleDomain()], "list");

        Assert.Equal(EstuaryCommandLine.Success, exitCode);
        Assert.Empty(error);
        Assert.Equal(
            [
                "sample: Argument binding fixtures",
                "  task queue: sample-queue",
                "  workflows:",
                "    SampleWorkflow (trigger sample sample) (count: int, name: string, when: DateTimeOffset, priority: Priority, input: SampleInput (JSON), dryRun: bool?) -> string",
                "  activities:",
                "    sample_step (SampleActivities.Step)",
            ],
            output.TrimEnd().Split(Environment.NewLine));
    }

    [Fact]
    public async Task RunAsync_EveryDomain_ListsExampleBookingsAndPaymentsWithTransactionalActivities()
    {
        var (exitCode, output, _) = await CommandLineRunner.RunAsync(CliHost.Domains, "list");

        Assert.Equal(EstuaryCommandLine.Success, exitCode);
        Assert.Contains("example: ", output, StringComparison.Ordinal);
        Assert.Contains("bookings: ", output, StringComparison.Ordinal);
        Assert.Contains("payments: ", output, StringComparison.Ordinal);
        Assert.Contains("    ExampleWorkflow (trigger example example) (entityId: int) -> ExampleWorkflowResult (JSON)", output, StringComparison.Ordinal);
        Assert.Contains("    process_entity (ExampleActivities.ProcessEntityAsync) [transactional]", output, StringComparison.Ordinal);
        Assert.Contains("    get_entity_details (ExampleActivities.GetEntityDetailsAsync)" + Environment.NewLine, output, StringComparison.Ordinal);
    }
}
