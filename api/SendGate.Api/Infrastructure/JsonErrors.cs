using System.Text.Json;
using System.Text.Json.Serialization.Metadata;

namespace SendGate.Api.Infrastructure;

/// <summary>
/// Says what is wrong with a JSON body in the client's terms. System.Text.Json's own messages name
/// .NET types (<c>IReadOnlyList`1[System.String]</c>, <c>SendGate.Core.Mime.MessageRequest</c>);
/// instead, the member's place is looked up in the contract the serializer used and described
/// as JSON ("an array of strings").
/// </summary>
internal static class JsonErrors
{
    /// <summary>The field (a member path as in <c>violations</c>, or <c>body</c>) and a message for a body that did not deserialize to <paramref name="target"/>.</summary>
    public static (string Field, string Message) Describe(JsonException exception, Type target, JsonSerializerOptions options)
    {
        var field = exception.Path is { Length: > 2 } path ? path.TrimStart('$', '.') : "body";
        if (exception.InnerException is JsonException)
        {
            // The reader's own error: the bytes are not JSON at all (or end early).
            var where = exception.LineNumber is { } line && exception.BytePositionInLine is { } position
                ? $" (line {line + 1}, byte {position + 1})"
                : "";
            return (field, $"The body is not valid JSON{where}: it is cut short or has a syntax error.");
        }

        var (found, unknownMember, parent) = Resolve(exception.Path, target, options);
        if (unknownMember is not null)
        {
            return (field, $"'{unknownMember}' is not a member of {(parent is null ? "the body" : $"'{parent}'")}; check its spelling (unknown members are refused).");
        }

        if (field == "body")
        {
            return (field, "The body must be a JSON object.");
        }

        return found is null
            ? (field, $"'{field}' has the wrong type.")
            : (field, $"'{field}' must be {Expected(found, options)}.");
    }

    /// <summary>The type at a serializer path (<c>$.rules[0].conditions</c>), or the first member the contract does not have.</summary>
    private static (Type? Type, string? UnknownMember, string? Parent) Resolve(string? path, Type target, JsonSerializerOptions options)
    {
        var current = target;
        var walked = "";
        foreach (var segment in Segments(path))
        {
            var info = TypeInfo(current, options);
            if (info is null)
            {
                return (null, null, null);
            }

            if (segment.Index)
            {
                if (info.Kind is not JsonTypeInfoKind.Enumerable || info.ElementType is null)
                {
                    return (null, null, null);
                }

                current = info.ElementType;
                walked += $"[{segment.Name}]";
                continue;
            }

            var member = walked.Length == 0 ? segment.Name : $"{walked}.{segment.Name}";
            switch (info.Kind)
            {
                case JsonTypeInfoKind.Dictionary when info.ElementType is not null:
                    current = info.ElementType;
                    break;
                case JsonTypeInfoKind.Object:
                    var property = info.Properties.FirstOrDefault(p =>
                        string.Equals(p.Name, segment.Name, options.PropertyNameCaseInsensitive ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal));
                    if (property is null)
                    {
                        return (null, segment.Name, walked.Length == 0 ? null : walked);
                    }

                    current = property.PropertyType;
                    break;
                default:
                    return (null, null, null);
            }

            walked = member;
        }

        return (current, null, null);
    }

    private static string Expected(Type type, JsonSerializerOptions options)
    {
        if (Nullable.GetUnderlyingType(type) is { } inner)
        {
            return $"{Expected(inner, options)} or null";
        }

        if (Simple(type) is { } simple)
        {
            return simple.One;
        }

        return TypeInfo(type, options) switch
        {
            { Kind: JsonTypeInfoKind.Enumerable, ElementType: { } element } => $"an array of {Many(element, options)}",
            { Kind: JsonTypeInfoKind.Dictionary, ElementType: { } element } => $"an object whose values are {Many(element, options)}",
            { Kind: JsonTypeInfoKind.Object } => "an object",
            _ => "a value of another type (see /openapi.yaml)",
        };
    }

    private static string Many(Type type, JsonSerializerOptions options)
    {
        type = Nullable.GetUnderlyingType(type) ?? type;
        if (Simple(type) is { } simple)
        {
            return simple.Many;
        }

        return TypeInfo(type, options)?.Kind switch
        {
            JsonTypeInfoKind.Enumerable => "arrays",
            _ => "objects",
        };
    }

    private static (string One, string Many)? Simple(Type type) => type switch
    {
        _ when type == typeof(string) => ("a string", "strings"),
        _ when type == typeof(bool) => ("true or false", "true or false"),
        _ when type == typeof(int) || type == typeof(long) || type == typeof(short) || type == typeof(byte) => ("a whole number", "whole numbers"),
        _ when type == typeof(double) || type == typeof(decimal) || type == typeof(float) => ("a number", "numbers"),
        _ when type == typeof(DateTimeOffset) || type == typeof(DateTime) => ("a date-time string", "date-time strings"),
        _ when type == typeof(Guid) => ("a string", "strings"),
        _ when type == typeof(SendGate.Core.Mime.Base64Content) => ("a base64 string", "base64 strings"),
        _ when type.IsEnum => ("one of the documented values", "documented values"),
        _ when type == typeof(JsonElement) || type == typeof(object) => ("a JSON value", "JSON values"),
        _ => null,
    };

    private static JsonTypeInfo? TypeInfo(Type type, JsonSerializerOptions options)
    {
        try
        {
            return options.GetTypeInfo(type);
        }
        catch (NotSupportedException)
        {
            return null;
        }
    }

    private readonly record struct Segment(string Name, bool Index);

    /// <summary>Splits <c>$.a.b[0]['c d']</c> into a, b, [0], c d.</summary>
    private static IEnumerable<Segment> Segments(string? path)
    {
        if (string.IsNullOrEmpty(path) || path[0] != '$')
        {
            yield break;
        }

        var i = 1;
        while (i < path.Length)
        {
            if (path[i] == '.')
            {
                var end = path.IndexOfAny(['.', '['], i + 1);
                end = end < 0 ? path.Length : end;
                yield return new Segment(path[(i + 1)..end], false);
                i = end;
            }
            else if (path[i] == '[' && i + 1 < path.Length && path[i + 1] == '\'')
            {
                var end = path.IndexOf("']", i + 2, StringComparison.Ordinal);
                if (end < 0)
                {
                    yield break;
                }

                yield return new Segment(path[(i + 2)..end], false);
                i = end + 2;
            }
            else if (path[i] == '[')
            {
                var end = path.IndexOf(']', i + 1);
                if (end < 0)
                {
                    yield break;
                }

                yield return new Segment(path[(i + 1)..end], true);
                i = end + 1;
            }
            else
            {
                yield break;
            }
        }
    }
}
