using System.Collections.Concurrent;
using Aspire.Hosting;
using Aspire.Hosting.ApplicationModel;

namespace Estuary.AppHost.Tests;

/// <summary>
/// Stands in for the dashboard's user in the interaction service: answers the input dialogs a command opens with the
/// values a test queued, in order, and records each dialog. With nothing queued it is unavailable, as the interaction
/// service of a host without a dashboard is.
/// </summary>
public sealed class DialogAnswers : IInteractionService
{
    private readonly ConcurrentQueue<IReadOnlyDictionary<string, string?>> _answers = new();
    private readonly ConcurrentQueue<(string Title, IReadOnlyList<InteractionInput> Inputs)> _dialogs = new();

    /// <inheritdoc />
    public bool IsAvailable => !_answers.IsEmpty;

    /// <summary>Gets the input dialogs answered so far, oldest first.</summary>
    public IReadOnlyList<(string Title, IReadOnlyList<InteractionInput> Inputs)> Dialogs => [.. _dialogs];

    /// <summary>Queues the answer to the next input dialog.</summary>
    /// <param name="values">The value typed in each input, by input name.</param>
    public void Answer(IReadOnlyDictionary<string, string?> values) => _answers.Enqueue(values);

    /// <inheritdoc />
    public Task<InteractionResult<InteractionInputCollection>> PromptInputsAsync(
        string title, string? message, IReadOnlyList<InteractionInput> inputs, InputsDialogInteractionOptions? options = null, CancellationToken cancellationToken = default)
    {
        if (!_answers.TryDequeue(out var values))
        {
            return Task.FromResult(InteractionResult.Cancel<InteractionInputCollection>());
        }

        foreach (var input in inputs)
        {
            if (values.TryGetValue(input.Name, out var value))
            {
                input.Value = value;
            }
        }

        _dialogs.Enqueue((title, inputs));
        return Task.FromResult(InteractionResult.Ok(new InteractionInputCollection(inputs)));
    }

    /// <inheritdoc />
    public async Task<InteractionResult<InteractionInput>> PromptInputAsync(
        string title, string? message, InteractionInput input, InputsDialogInteractionOptions? options = null, CancellationToken cancellationToken = default)
    {
        var answered = await PromptInputsAsync(title, message, [input], options, cancellationToken);
        return answered.Canceled ? InteractionResult.Cancel<InteractionInput>() : InteractionResult.Ok(answered.Data[0]);
    }

    /// <inheritdoc />
    public Task<InteractionResult<InteractionInput>> PromptInputAsync(
        string title, string? message, string inputLabel, string placeHolder, InputsDialogInteractionOptions? options = null, CancellationToken cancellationToken = default) =>
        PromptInputAsync(title, message, new InteractionInput { Name = inputLabel, Label = inputLabel, InputType = InputType.Text, Placeholder = placeHolder }, options, cancellationToken);

    /// <inheritdoc />
    public Task<InteractionResult<bool>> PromptConfirmationAsync(string title, string message, MessageBoxInteractionOptions? options = null, CancellationToken cancellationToken = default) =>
        Unanswered();

    /// <inheritdoc />
    public Task<InteractionResult<bool>> PromptMessageBoxAsync(string title, string message, MessageBoxInteractionOptions? options = null, CancellationToken cancellationToken = default) =>
        Unanswered();

    /// <inheritdoc />
    public Task<InteractionResult<bool>> PromptNotificationAsync(string title, string message, NotificationInteractionOptions? options = null, CancellationToken cancellationToken = default) =>
        Unanswered();

#pragma warning disable ASPIREINTERACTION001, ASPIRETERMINAL001 // Part of the interface; no test opens these.
    /// <inheritdoc />
    public Task<InteractionResult<bool>> PromptProgressAsync(string message, ProgressInteractionOptions? options = null, CancellationToken cancellationToken = default) =>
        Unanswered();

    /// <inheritdoc />
    public Task<InteractionResult<bool>> PromptTerminalAsync(string message, AspireTerminal terminal, TerminalInteractionOptions? options = null, CancellationToken cancellationToken = default) =>
        Unanswered();
#pragma warning restore ASPIREINTERACTION001, ASPIRETERMINAL001

    private static Task<InteractionResult<bool>> Unanswered() => Task.FromResult(InteractionResult.Cancel<bool>());
}
