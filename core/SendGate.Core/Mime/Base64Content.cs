using System.Buffers;
using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace SendGate.Core.Mime;

/// <summary>
/// A JSON attachment's <c>content</c>: base64 on the wire, decoded once, straight from the
/// request's UTF-8 bytes into the file's bytes. A base64 string read as a .NET string first
/// would cost twice its length again in UTF-16 before a byte was decoded (a 30 MB attachment:
/// 80 MB), which is most of what a big JSON submission used to cost.
/// </summary>
[JsonConverter(typeof(Base64ContentConverter))]
public sealed class Base64Content
{
    private Base64Content(byte[]? bytes) => Bytes = bytes;

    /// <summary>The decoded bytes; null when the content is not valid base64.</summary>
    public byte[]? Bytes { get; }

    /// <summary>Decodes base64 text; white space (line-wrapped base64 from mail tooling) is tolerated, nothing else.</summary>
    public static Base64Content FromText(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        return FromUtf8(utf8);
    }

    public static Base64Content FromBytes(byte[] bytes) => new(bytes);

    public static implicit operator Base64Content(string text) => FromText(text);

    internal static Base64Content FromUtf8(ReadOnlySpan<byte> utf8)
    {
        // IsValid and DecodeFromUtf8 both skip white space; the length is exact, so no second copy.
        if (!Base64.IsValid(utf8, out var length))
        {
            return new(null);
        }

        var bytes = GC.AllocateUninitializedArray<byte>(length);
        var status = Base64.DecodeFromUtf8(utf8, bytes, out _, out var written);
        return new(status == OperationStatus.Done && written == length ? bytes : null);
    }
}

/// <summary>Reads <see cref="Base64Content"/> from a JSON string without making a .NET string of it.</summary>
public sealed class Base64ContentConverter : JsonConverter<Base64Content>
{
    public override Base64Content? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            // No message: the serializer adds the member's path, and the API describes the expected type.
            throw new JsonException();
        }

        if (!reader.ValueIsEscaped && !reader.HasValueSequence)
        {
            return Base64Content.FromUtf8(reader.ValueSpan);
        }

        // Escapes (e.g. "\n" between lines, "\/") or a value split across buffers: unescaped into a pooled buffer first.
        var length = reader.HasValueSequence ? checked((int)reader.ValueSequence.Length) : reader.ValueSpan.Length;
        var buffer = ArrayPool<byte>.Shared.Rent(length);
        try
        {
            var written = reader.CopyString(buffer);
            return Base64Content.FromUtf8(buffer.AsSpan(0, written));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
    }

    public override void Write(Utf8JsonWriter writer, Base64Content value, JsonSerializerOptions options)
    {
        if (value.Bytes is { } bytes)
        {
            writer.WriteBase64StringValue(bytes);
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}
