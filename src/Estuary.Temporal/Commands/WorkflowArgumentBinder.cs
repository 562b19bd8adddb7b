using System.Globalization;
using System.Reflection;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using Estuary.Temporal.Domains;

namespace Estuary.Temporal.Commands;

/// <summary>
/// Turns text arguments (command-line tokens, dialog inputs) into the typed arguments of a workflow's run method or of
/// one of its signals, queries and updates: numbers, strings, booleans, enums, dates, times, durations and GUIDs from
/// their invariant text form, anything else (records, arrays, dictionaries) from JSON. JSON is checked against the
/// parameter's type before anything is sent: every member must be known, every required member (a constructor
/// parameter without a default value, a <c>required</c> or <c>[JsonRequired]</c> property) present, and <c>null</c>
/// appears only where the type allows it.
/// </summary>
public static class WorkflowArgumentBinder
{
    private static readonly JsonSerializerOptions JsonOptions = CreateJsonOptions();

    /// <summary>Binds every token to a parameter of a workflow's run method, or throws naming the first problem.</summary>
    /// <param name="workflow">The workflow being started.</param>
    /// <param name="tokens">The arguments in order.</param>
    /// <returns>One value per run-method parameter (defaults filled in for omitted optional ones).</returns>
    /// <exception cref="WorkflowArgumentException">Too few or too many tokens, or a token that does not fit its parameter.</exception>
    public static object?[] Bind(WorkflowDescriptor workflow, IReadOnlyList<string> tokens) =>
        Bind(workflow.Name, workflow.Parameters, tokens);

    /// <summary>Binds every token to a parameter of a signal, query or update, or throws naming the first problem.</summary>
    /// <param name="handler">The handler being called.</param>
    /// <param name="tokens">The arguments in order.</param>
    /// <returns>One value per handler parameter (defaults filled in for omitted optional ones).</returns>
    /// <exception cref="WorkflowArgumentException">Too few or too many tokens, or a token that does not fit its parameter.</exception>
    public static object?[] Bind(WorkflowHandlerDescriptor handler, IReadOnlyList<string> tokens) =>
        Bind(handler.DisplayName, handler.Parameters, tokens);

    /// <summary>Binds every token to a parameter, or throws naming the first problem.</summary>
    /// <param name="subject">What the parameters belong to, as messages name it (<c>ExampleWorkflow</c>,
    /// <c>signal 'Cancel' of BookingWorkflow</c>).</param>
    /// <param name="parameters">The parameters, in order.</param>
    /// <param name="tokens">The arguments in order.</param>
    /// <returns>One value per parameter (defaults filled in for omitted optional ones).</returns>
    /// <exception cref="WorkflowArgumentException">Too few or too many tokens, or a token that does not fit its parameter.</exception>
    public static object?[] Bind(string subject, IReadOnlyList<ParameterInfo> parameters, IReadOnlyList<string> tokens)
    {
        var required = parameters.Count(p => !p.HasDefaultValue);
        if (tokens.Count < required || tokens.Count > parameters.Count)
        {
            var expected = required == parameters.Count ? $"{required}" : $"{required} to {parameters.Count}";
            throw new WorkflowArgumentException(
                $"{char.ToUpperInvariant(subject[0])}{subject[1..]} takes {expected} argument{(parameters.Count == 1 ? string.Empty : "s")} ({Describe(parameters)}), got {tokens.Count}.");
        }

        var nullability = new NullabilityInfoContext();
        var values = new object?[parameters.Count];
        for (var i = 0; i < parameters.Count; i++)
        {
            values[i] = i < tokens.Count ? Convert(subject, parameters[i], tokens[i], nullability) : parameters[i].DefaultValue;
        }

        return values;
    }

    /// <summary>Describes a workflow's run-method parameters as <c>name: type, …</c> for help and error messages.</summary>
    /// <param name="workflow">The workflow.</param>
    /// <returns>The description; <c>no arguments</c> when there are none.</returns>
    public static string Describe(WorkflowDescriptor workflow) => Describe(workflow.Parameters);

    /// <summary>Describes parameters as <c>name: type, …</c> (<c>?</c> marks an optional one) for help and error messages.</summary>
    /// <param name="parameters">The parameters.</param>
    /// <returns>The description; <c>no arguments</c> when there are none.</returns>
    public static string Describe(IReadOnlyList<ParameterInfo> parameters) =>
        parameters.Count == 0
            ? "no arguments"
            : string.Join(", ", parameters.Select(p => $"{p.Name}: {TypeName(p.ParameterType)}{(p.HasDefaultValue ? "?" : string.Empty)}"));

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

    /// <summary>Gets how a value of a parameter type is typed in: the kind of input a form offers for it.</summary>
    /// <param name="type">The parameter type (<see cref="Nullable{T}"/> is seen through).</param>
    /// <returns>The kind; <see cref="ArgumentKind.Json"/> for records, lists, dictionaries and anything else.</returns>
    public static ArgumentKind KindOf(Type type)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        return Type.GetTypeCode(type) switch
        {
            _ when type.IsEnum => ArgumentKind.Enum,
            TypeCode.Boolean => ArgumentKind.Boolean,
            TypeCode.Byte or TypeCode.Int16 or TypeCode.Int32 or TypeCode.Int64
                or TypeCode.UInt16 or TypeCode.UInt32 or TypeCode.UInt64 => ArgumentKind.WholeNumber,
            TypeCode.Decimal or TypeCode.Double or TypeCode.Single => ArgumentKind.Number,
            TypeCode.String => ArgumentKind.Text,
            TypeCode.DateTime => ArgumentKind.DateTime,
            _ when type == typeof(DateTimeOffset) => ArgumentKind.DateTime,
            _ when type == typeof(DateOnly) => ArgumentKind.Date,
            _ when type == typeof(TimeOnly) => ArgumentKind.Time,
            _ when type == typeof(TimeSpan) => ArgumentKind.Duration,
            _ when type == typeof(Guid) => ArgumentKind.Uuid,
            _ => ArgumentKind.Json,
        };
    }

    /// <summary>Gets an example of a value of a type, in the text form <see cref="Bind(string, IReadOnlyList{ParameterInfo}, IReadOnlyList{string})"/>
    /// accepts: <c>2030-01-01T09:00:00Z</c> for a date and time, <c>01:00:00</c> for a duration, and for a record, list or
    /// dictionary the JSON of its serialization contract with an example in every member (required ones and optional ones).</summary>
    /// <param name="type">The type.</param>
    /// <returns>The example.</returns>
    public static string Example(Type type)
    {
        var example = ExampleNode(type, depth: 0);
        return example is JsonValue value && value.TryGetValue<string>(out var text) ? text : example?.ToJsonString(JsonOptions) ?? "null";
    }

    // Nested records are followed a few levels deep: a type that contains itself ends in null.
    private static JsonNode? ExampleNode(Type declared, int depth)
    {
        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        switch (KindOf(type))
        {
            case ArgumentKind.Enum:
                return JsonValue.Create(Enum.GetNames(type).FirstOrDefault() ?? string.Empty);
            case ArgumentKind.Boolean:
                return JsonValue.Create(true);
            case ArgumentKind.WholeNumber:
                return JsonValue.Create(1);
            case ArgumentKind.Number:
                return JsonValue.Create(1.5m);
            case ArgumentKind.Text:
                return JsonValue.Create("text");
            case ArgumentKind.DateTime:
                return JsonValue.Create("2030-01-01T09:00:00Z");
            case ArgumentKind.Date:
                return JsonValue.Create("2030-01-01");
            case ArgumentKind.Time:
                return JsonValue.Create("09:00:00");
            case ArgumentKind.Duration:
                return JsonValue.Create("01:00:00");
            case ArgumentKind.Uuid:
                return JsonValue.Create("00000000-0000-0000-0000-000000000001");
        }

        if (depth > 4 || type == typeof(object) || type == typeof(JsonElement) || typeof(JsonNode).IsAssignableFrom(type))
        {
            return null;
        }

        JsonTypeInfo contract;
        try
        {
            contract = JsonOptions.GetTypeInfo(type);
        }
        catch (NotSupportedException)
        {
            return null;
        }

        switch (contract.Kind)
        {
            case JsonTypeInfoKind.Object:
                var members = new JsonObject();
                foreach (var member in contract.Properties.Where(p => p.Set is not null || p.AssociatedParameter is not null))
                {
                    members[member.Name] = ExampleNode(member.PropertyType, depth + 1);
                }

                return members;
            case JsonTypeInfoKind.Enumerable when contract.ElementType is { } item:
                return new JsonArray(ExampleNode(item, depth + 1));
            case JsonTypeInfoKind.Dictionary when contract.ElementType is { } value:
                return new JsonObject { ["key"] = ExampleNode(value, depth + 1) };
            default:
                return null;
        }
    }

    private static JsonSerializerOptions CreateJsonOptions()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
            TypeInfoResolver = new DefaultJsonTypeInfoResolver(),
            Converters = { new JsonStringEnumConverter() },
        };
        options.MakeReadOnly();
        return options;
    }

    private static object? Convert(string subject, ParameterInfo parameter, string token, NullabilityInfoContext nullability)
    {
        var declared = parameter.ParameterType;
        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        var nullable = type != declared || (!declared.IsValueType && nullability.Create(parameter).WriteState == NullabilityState.Nullable);
        if (nullable && token == "null")
        {
            return null;
        }

        if (TryConvertScalar(type, token, out var value))
        {
            return value;
        }

        if (IsScalar(type))
        {
            throw new WorkflowArgumentException(
                $"Argument '{parameter.Name}' of {subject} must be {Article(TypeName(declared))}, got '{token}'.");
        }

        return FromJson(new JsonArgument(subject, parameter.Name ?? "?", declared, nullability), token, nullable, nullability.Create(parameter));
    }

    private static object? FromJson(JsonArgument argument, string token, bool nullable, NullabilityInfo nullability)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(token);
        }
        catch (JsonException e)
        {
            throw argument.NotJson(e.Message);
        }

        using (document)
        {
            Check(argument, document.RootElement, argument.Type, nullable, nullability, argument.Name);
            try
            {
                return document.RootElement.Deserialize(argument.Type, JsonOptions);
            }
            catch (Exception e) when (e is JsonException or NotSupportedException)
            {
                throw argument.NotJson(e.Message);
            }
        }
    }

    // Walks the JSON along the type's serialization contract so that a problem is named with its member and path;
    // what the walk does not judge (a string where a number belongs…) the deserializer reports with its path.
    private static void Check(JsonArgument argument, JsonElement element, Type declared, bool nullable, NullabilityInfo? nullability, string path)
    {
        var type = Nullable.GetUnderlyingType(declared) ?? declared;
        if (element.ValueKind == JsonValueKind.Null)
        {
            if (nullable || type != declared)
            {
                return;
            }

            throw argument.Null(path, declared);
        }

        if (type == typeof(object) || type == typeof(JsonElement) || type == typeof(JsonDocument) || typeof(JsonNode).IsAssignableFrom(type))
        {
            return;
        }

        JsonTypeInfo contract;
        try
        {
            contract = JsonOptions.GetTypeInfo(type);
        }
        catch (NotSupportedException)
        {
            return;
        }

        switch (contract.Kind)
        {
            case JsonTypeInfoKind.Object when element.ValueKind == JsonValueKind.Object:
                CheckObject(argument, element, contract, path);
                break;
            case JsonTypeInfoKind.Enumerable when element.ValueKind == JsonValueKind.Array && contract.ElementType is { } itemType:
                var item = type.IsArray ? nullability?.ElementType : TypeArgument(nullability, 0, 1);
                var index = 0;
                foreach (var value in element.EnumerateArray())
                {
                    Check(argument, value, itemType, IsNullable(itemType, item), item, $"{path}[{index++}]");
                }

                break;
            case JsonTypeInfoKind.Dictionary when element.ValueKind == JsonValueKind.Object && contract.ElementType is { } valueType:
                var entry = TypeArgument(nullability, 1, 2);
                foreach (var property in element.EnumerateObject())
                {
                    Check(argument, property.Value, valueType, IsNullable(valueType, entry), entry, $"{path}[\"{property.Name}\"]");
                }

                break;
        }
    }

    private static void CheckObject(JsonArgument argument, JsonElement element, JsonTypeInfo contract, string path)
    {
        var members = contract.Properties.Where(p => p.Set is not null || p.AssociatedParameter is not null).ToList();
        var open = contract.Properties.Any(p => p.IsExtensionData);
        var present = new HashSet<JsonPropertyInfo>();
        foreach (var property in element.EnumerateObject())
        {
            var member = members.FirstOrDefault(m => string.Equals(m.Name, property.Name, StringComparison.OrdinalIgnoreCase));
            if (member is null)
            {
                if (open)
                {
                    continue;
                }

                throw argument.UnknownMember(path, property.Name, contract.Type, members);
            }

            present.Add(member);
            var nullable = member.AssociatedParameter?.IsNullable ?? member.IsSetNullable;
            var nullability = member.AttributeProvider switch
            {
                PropertyInfo p => argument.Nullability.Create(p),
                FieldInfo f => argument.Nullability.Create(f),
                _ => null,
            };
            Check(argument, property.Value, member.PropertyType, nullable, nullability, $"{path}.{member.Name}");
        }

        if (members.FirstOrDefault(m => m.IsRequired && !present.Contains(m)) is { } missing)
        {
            throw argument.MissingMember(path, missing.Name, contract.Type, members);
        }
    }

    // An element whose nullability is unknown (a collection type that is not generic over it) is let through: the
    // deserializer still refuses null for a value type.
    private static bool IsNullable(Type type, NullabilityInfo? nullability) =>
        Nullable.GetUnderlyingType(type) is not null || (!type.IsValueType && nullability?.ReadState != NullabilityState.NotNull);

    private static NullabilityInfo? TypeArgument(NullabilityInfo? nullability, int index, int count) =>
        nullability is { GenericTypeArguments.Length: var length } && length == count ? nullability.GenericTypeArguments[index] : null;

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

    private static string Members(Type type, IEnumerable<JsonPropertyInfo> members) =>
        $"{FriendlyGenericName(type)} has: {string.Join(", ", members.Select(m => m.IsRequired ? m.Name : m.Name + "?"))}";

    /// <summary>One JSON argument being bound, and the messages naming its problems.</summary>
    private sealed record JsonArgument(string Subject, string Name, Type Type, NullabilityInfoContext Nullability)
    {
        private string Prefix => $"Argument '{Name}' of {Subject}";

        public WorkflowArgumentException NotJson(string detail) => new($"{Prefix} must be {TypeName(Type)}: {detail}");

        public WorkflowArgumentException Null(string path, Type type) =>
            path == Name
                ? new($"{Prefix} must be {Article(TypeName(type))}, got null.")
                : new($"{Prefix} has null at {path}, which must be {Article(TypeName(type).Replace(" (JSON)", string.Empty, StringComparison.Ordinal))}.");

        public WorkflowArgumentException UnknownMember(string path, string member, Type type, IEnumerable<JsonPropertyInfo> members) =>
            new($"{Prefix} has an unknown member '{member}'{At(path)} ({Members(type, members)}).");

        public WorkflowArgumentException MissingMember(string path, string member, Type type, IEnumerable<JsonPropertyInfo> members) =>
            new($"{Prefix} lacks the required member '{member}'{At(path)} ({Members(type, members)}).");

        private string At(string path) => path == Name ? string.Empty : $" at {path}";
    }
}
