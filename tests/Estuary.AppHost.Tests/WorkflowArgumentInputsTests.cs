using Aspire.Hosting;
using Estuary.Temporal.Commands;

namespace Estuary.AppHost.Tests;

public sealed class WorkflowArgumentInputsTests
{
    [Fact]
    public void For_EveryKind_InputOfTheMatchingTypeWithExample()
    {
        CatalogParameter[] parameters =
        [
            new("count", "int", ArgumentKind.WholeNumber, true, null, "1"),
            new("amount", "decimal", ArgumentKind.Number, true, null, "1.5"),
            new("dryRun", "bool", ArgumentKind.Boolean, false, null, "true"),
            new("priority", "Priority", ArgumentKind.Enum, true, ["Low", "High"], "Low"),
            new("startsAt", "DateTimeOffset", ArgumentKind.DateTime, true, null, "2030-01-01T09:00:00Z"),
            new("duration", "TimeSpan", ArgumentKind.Duration, false, null, "01:00:00"),
            new("input", "BookingInput (JSON)", ArgumentKind.Json, true, null, """{"reference":"text"}"""),
        ];

        var inputs = WorkflowArgumentInputs.For(parameters);

        Assert.Equal(parameters.Select(p => p.Name), inputs.Select(i => i.Name));
        Assert.Equal(
            [InputType.Number, InputType.Number, InputType.Boolean, InputType.Choice, InputType.Text, InputType.Text, InputType.Text],
            inputs.Select(i => i.InputType));
        Assert.Equal(["Low", "High"], inputs[3].Options!.Select(o => o.Key));
        Assert.Equal([true, true, false, true, true, false, true], inputs.Select(i => i.Required));
        Assert.Equal("2030-01-01T09:00:00Z", inputs[4].Placeholder);
        Assert.Equal("""{"reference":"text"}""", inputs[6].Placeholder);
        Assert.Contains("JSON", inputs[6].Description, StringComparison.Ordinal);
    }

    [Fact]
    public void Values_UntickedBooleanAndEmptyOptional_FalseAndEmpty()
    {
        CatalogParameter[] parameters =
        [
            new("dryRun", "bool", ArgumentKind.Boolean, false, null, "true"),
            new("note", "string?", ArgumentKind.Text, false, null, "text"),
        ];
        var inputs = WorkflowArgumentInputs.For(parameters);

        var values = WorkflowArgumentInputs.Values(parameters, new InteractionInputCollection(inputs));

        Assert.Equal(["false", null], values);
    }
}
