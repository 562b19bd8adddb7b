using System.Globalization;
using System.Reflection;
using System.Text.Json;
using Estuary.Temporal.Domains;

namespace Estuary.Cli.Commands;

/// <summary>
/// Turns the positional command-line tokens of <c>trigger</c> into the typed arguments of a workflow's run method:
/// numbers, strings, booleans, enums, dates, times, durations and GUIDs from their invariant text form, anything
/// else (records, arrays, dictionaries) from JSON.
/// </summary>
public static class WorkflowArgumentBinder
{
    private static readonly JsonSerializerOptions JsonOptions = new(JsonSerializerDefaults.Web);

    /// <summary>Binds every token to its parameter, or throws naming the first problem.</summary>
    /// <param name="workflow">The workflow being triggered.</param>
    /// <param name="tokens">The positional tokens after the workflow name.</param>
    /// <returns>One value per run-method parameter (defaults filled in for omitted optional ones).</returns>
    /// <exception cref="UsageException">Too few or too many tokens, or a token of the wrong type.</exception>
    public static object?[] Bind(WorkflowDescriptor workflow, IReadOnlyList<string> tokens)
    {
        var parameters = workflow.Parameters;
        var required = parameters.Count(p => !p.HasDefaultValue);
        if (tokens.Count < required || tokens.Count > parameters.Count)
        {
            var expected = required == parameters.Count ? $"{required}" : $"{required} to {parameters.Count}";
            throw new UsageException(
                $"{workflow.Name} takes {expected} argument{(parameters.Count == 1 ? string.Empty : "s")} ({Describe(workflow)}), got {tokens.Count}.");
        }

        var values = new object?[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
        {
            values[i] = i < tokens.Count ? Convert(workflow, parameters[i], tokens[i]) : parameters[i].DefaultValue;
        }

        return values;
    }

    /// <summary>Describes a workflow's parameters as <c>name: type, …</c> for help and error messages.</summary>
    /// <param name="workflow">The workflow.</param>
    /// <returns>The description; <c>no arguments</c> when there are none.</returns>
    public static string Describe(WorkflowDescriptor workflow) =>
        workflow.Parameters.Count == 0
            ? "no arguments"
            : string.Join(", ", workflow.Parameters.Select(p => $"{p.Name}: {TypeName(p.ParameterType)}{(p.HasDefaultValue ? "?" : string.Empty)}"));

    /// <summary>Gets the short, user-facing name of a type (<c>int</c>, <c>string</c>, <c>DateTimeOffset</c>, <c>BatchInput (JSON)</c>).</summary>
    /// <param name="type">The type.</param>
    /// <returns>Its name.</returns>
    public static string TypeName(Type type)
    {
        var underlying = Nullable.GetUnderlyingType(type);
        if (underlying is not null)
        {
            return TypeName(underlying) + "?";
        }

        return Type.GetTypeCode(type) switch
        {
            _ when type.IsEnum => type.Name,
            TypeCode.Int32 => "int",
            TypeCode.Int64 => "long",
            TypeCode.Int16 => "short",
            TypeCode.Decimal => "decimal",
            TypeCode.Double => "double",
            TypeCode.Single => "float",
            TypeCode.Boolean => "bool",
            TypeCode.String => "string",
            _ when type == typeof(void) => "void",
            _ when IsScalar(type) => type.Name,
            _ => $"{FriendlyGenericName(type)} (JSON)",
        };
    }

    private static object? Convert(WorkflowDescriptor workflow, ParameterInfo parameter, string token)
    {
        var type = Nullable.GetUnderlyingType(parameter.ParameterType) ?? parameter.ParameterType;
        if (type != parameter.ParameterType && token == "null")
        {
            return null;
        }

        if (TryConvertScalar(type, token, out var value))
        {
            return value;
        }

        if (!IsScalar(type))
        {
            try
            {
                var result = JsonSerializer.Deserialize(token, type, JsonOptions);
                if (result is not null || !type.IsValueType)
                {
                    return result;
                }
            }
            catch (JsonException e)
            {
                throw new UsageException(
                    $"Argument '{parameter.Name}' of {workflow.Name} must be {TypeName(parameter.ParameterType)}: {e.Message}");
            }
        }

        throw new UsageException(
            $"Argument '{parameter.Name}' of {workflow.Name} must be {Article(TypeName(parameter.ParameterType))}, got '{token}'.");
    }

    private static bool IsScalar(Type type) =>
        type.IsPrimitive || type.IsEnum || type == typeof(string) || type == typeof(decimal) || type == typeof(DateTime)
        || type == typeof(DateTimeOffset) || type == typeof(DateOnly) || type == typeof(TimeOnly)
        || type == typeof(TimeSpan) || type == typeof(Guid);

    private static bool TryConvertScalar(Type type, string token, out object? value)
    {
        var culture = CultureInfo.InvariantCulture;
        const NumberStyles integer = NumberStyles.Integer;
        const NumberStyles real = NumberStyles.Float | NumberStyles.AllowThousands;
        (bool Ok, object? Value) result = Type.GetTypeCode(type) switch
        {
            _ when type.IsEnum => (Enum.TryParse(type, token, ignoreCase: true, out var e) && Enum.IsDefined(type, e!), e),
            TypeCode.String => (true, token),
            TypeCode.Boolean => (bool.TryParse(token, out var b), b),
            TypeCode.Int16 => (short.TryParse(token, integer, culture, out var s), s),
            TypeCode.Int32 => (int.TryParse(token, integer, culture, out var i), i),
            TypeCode.Int64 => (long.TryParse(token, integer, culture, out var l), l),
            TypeCode.Byte => (byte.TryParse(token, integer, culture, out var by), by),
            TypeCode.UInt16 => (ushort.TryParse(token, integer, culture, out var us), us),
            TypeCode.UInt32 => (uint.TryParse(token, integer, culture, out var ui), ui),
            TypeCode.UInt64 => (ulong.TryParse(token, integer, culture, out var ul), ul),
            TypeCode.Decimal => (decimal.TryParse(token, real, culture, out var m), m),
            TypeCode.Double => (double.TryParse(token, real, culture, out var d), d),
            TypeCode.Single => (float.TryParse(token, real, culture, out var f), f),
            TypeCode.DateTime => (DateTime.TryParse(token, culture, DateTimeStyles.RoundtripKind, out var dt), dt),
            _ when type == typeof(DateTimeOffset) => (DateTimeOffset.TryParse(token, culture, DateTimeStyles.AssumeUniversal, out var dto), dto),
            _ when type == typeof(DateOnly) => (DateOnly.TryParse(token, culture, out var date), date),
            _ when type == typeof(TimeOnly) => (TimeOnly.TryParse(token, culture, out var time), time),
            _ when type == typeof(TimeSpan) => (TimeSpan.TryParse(token, culture, out var span), span),
            _ when type == typeof(Guid) => (Guid.TryParse(token, out var g), g),
            _ => (false, null),
        };
        value = result.Value;
        return result.Ok;
    }

    private static string FriendlyGenericName(Type type)
    {
        if (type.IsArray)
        {
            return TypeName(type.GetElementType()!).Replace(" (JSON)", string.Empty, StringComparison.Ordinal) + "[]";
        }

        if (!type.IsGenericType)
        {
            return type.Name;
        }

        var name = type.Name[..type.Name.IndexOf('`', StringComparison.Ordinal)];
        var arguments = type.GetGenericArguments().Select(a => TypeName(a).Replace(" (JSON)", string.Empty, StringComparison.Ordinal));
        return $"{name}<{string.Join(", ", arguments)}>";
    }

    private static string Article(string typeName) =>
        typeName.Length > 0 && "aeiouAEIOU".Contains(typeName[0], StringComparison.Ordinal) ? $"an {typeName}" : $"a {typeName}";
}
