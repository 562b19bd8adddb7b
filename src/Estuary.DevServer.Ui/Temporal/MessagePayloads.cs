using Google.Protobuf;
using Google.Protobuf.Reflection;
using Temporalio.Api.Common.V1;

namespace Estuary.DevServer.Ui.Temporal;

/// <summary>The payloads inside a message of Temporal's API (a history, an event, a query's answer), found through its
/// descriptor, so every kind of event is covered without naming its payload fields.</summary>
public static class MessagePayloads
{
    /// <summary>Every <see cref="Payload"/> anywhere in <paramref name="message"/>, in field-number order (a history's in
    /// event order); the payloads themselves, so changing one changes the message.</summary>
    /// <param name="message">The message.</param>
    /// <returns>The payloads.</returns>
    public static IEnumerable<Payload> Of(IMessage message)
    {
        if (message is Payload payload)
        {
            yield return payload;
            yield break;
        }

        foreach (var field in message.Descriptor.Fields.InFieldNumberOrder())
        {
            if (field.FieldType != FieldType.Message)
            {
                continue;
            }

            var value = field.Accessor.GetValue(message);
            var children = field.IsMap
                ? ((System.Collections.IDictionary)value).Values.OfType<IMessage>()
                : field.IsRepeated ? ((System.Collections.IEnumerable)value).OfType<IMessage>()
                : value is IMessage child ? [child] : [];
            foreach (var nested in children.SelectMany(Of))
            {
                yield return nested;
            }
        }
    }
}
