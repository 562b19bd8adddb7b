using Estuary.Temporal.Commands;

namespace Aspire.Hosting;

/// <summary>The dialog inputs of a workflow's, signal's, query's or update's parameters, typed from its <see cref="WorkflowCatalog"/>.</summary>
public static class WorkflowArgumentInputs
{
    /// <summary>
    /// Creates one input per parameter, named after it: a number input for numbers, a check box for a boolean, a choice of
    /// the names for an enum, and a text input for the rest, whose placeholder is an example in the form the binder
    /// accepts (ISO 8601 dates, <c>hh:mm:ss</c> durations, and for records, lists and dictionaries their JSON with every member).
    /// </summary>
    /// <param name="parameters">The parameters.</param>
    /// <returns>The inputs, in parameter order.</returns>
    public static IReadOnlyList<InteractionInput> For(IReadOnlyList<CatalogParameter> parameters) => parameters.Select(For).ToList();

    /// <summary>Creates the input of one parameter (see <see cref="For(IReadOnlyList{CatalogParameter})"/>).</summary>
    /// <param name="parameter">The parameter.</param>
    /// <returns>The input.</returns>
    public static InteractionInput For(CatalogParameter parameter) => parameter.Kind switch
    {
        ArgumentKind.WholeNumber or ArgumentKind.Number => Input(parameter, InputType.Number, parameter.Type),
        // A check box always has a value: unticked is false, so it is never "missing".
        ArgumentKind.Boolean => new InteractionInput { Name = parameter.Name, Label = parameter.Name, InputType = InputType.Boolean, Description = parameter.Type },
        ArgumentKind.Enum => new InteractionInput
        {
            Name = parameter.Name,
            Label = parameter.Name,
            InputType = InputType.Choice,
            Required = parameter.Required,
            Description = parameter.Type,
            Options = (parameter.Options ?? []).Select(o => KeyValuePair.Create(o, o)).ToList(),
        },
        ArgumentKind.DateTime => Input(parameter, InputType.Text, $"{parameter.Type}: a date and time, ISO 8601 (e.g. {parameter.Example})"),
        ArgumentKind.Date => Input(parameter, InputType.Text, $"{parameter.Type}: a date (e.g. {parameter.Example})"),
        ArgumentKind.Time => Input(parameter, InputType.Text, $"{parameter.Type}: a time of day (e.g. {parameter.Example})"),
        ArgumentKind.Duration => Input(parameter, InputType.Text, $"{parameter.Type}: a duration, [d.]hh:mm:ss (e.g. {parameter.Example})"),
        ArgumentKind.Json => Input(parameter, InputType.Text, $"{parameter.Type}: JSON, e.g. {parameter.Example}"),
        _ => Input(parameter, InputType.Text, parameter.Type),
    };

    /// <summary>Reads what was typed in the inputs of <paramref name="parameters"/>, as the binder takes it (empty: the default).</summary>
    /// <param name="parameters">The parameters.</param>
    /// <param name="inputs">The answered inputs.</param>
    /// <returns>One text per parameter.</returns>
    public static IReadOnlyList<string?> Values(IReadOnlyList<CatalogParameter> parameters, InteractionInputCollection inputs) =>
        parameters.Select(p => inputs.TryGetByName(p.Name, out var input) ? Value(p, input.Value) : null).ToList();

    private static string? Value(CatalogParameter parameter, string? value) =>
        parameter.Kind == ArgumentKind.Boolean && string.IsNullOrWhiteSpace(value) ? "false" : value?.Trim();

    private static InteractionInput Input(CatalogParameter parameter, InputType type, string description) => new()
    {
        Name = parameter.Name,
        Label = parameter.Name,
        InputType = type,
        Required = parameter.Required,
        Description = description,
        Placeholder = parameter.Example,
    };
}
