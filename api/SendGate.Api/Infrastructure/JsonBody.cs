using System.Net.Http.Headers;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using SendGate.Core.Mime;

namespace SendGate.Api.Infrastructure;

/// <summary>
/// Reads a JSON body strictly: a misspelt member is an error, not silently ignored (a rule whose
/// "condtions" vanished would match every message).
/// </summary>
internal static class JsonBody
{
    public const long Limit = 1024 * 1024;

    public static readonly JsonSerializerOptions Strict = new(JsonSerializerDefaults.Web)
    {
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadAsync<T>(HttpContext context, CancellationToken cancellationToken)
        where T : class
    {
        if (!MediaTypeHeaderValue.TryParse(context.Request.ContentType, out var mediaType)
            || !string.Equals(mediaType.MediaType, "application/json", StringComparison.OrdinalIgnoreCase))
        {
            return (null, Problems.Unsupported(context.Request.ContentType, "application/json"));
        }

        var body = await RequestBody.ReadAsync(context, Limit, cancellationToken);
        if (body is null)
        {
            return (null, Problems.TooLarge(Limit));
        }

        try
        {
            return JsonSerializer.Deserialize<T>(body, Strict) is { } value
                ? (value, null)
                : (null, Problems.Invalid("body", ViolationCode.MalformedJson, "The body must be a JSON object."));
        }
        catch (JsonException ex)
        {
            var (field, message) = JsonErrors.Describe(ex, typeof(T), Strict);
            return (null, Problems.Invalid(field, ViolationCode.MalformedJson, message));
        }
    }

    /// <summary>
    /// <see cref="ReadAsync{T}"/> for an optional body (a reason, a comment): no body at all is
    /// <c>(null, null)</c>; a body that is there is read as strictly as any other.
    /// </summary>
    public static async Task<(T? Value, ProblemHttpResult? Problem)> ReadOptionalAsync<T>(HttpContext context, CancellationToken cancellationToken)
        where T : class =>
        context.Request.ContentLength is > 0 || (context.Request.ContentLength is null && context.Request.ContentType is not null)
            ? await ReadAsync<T>(context, cancellationToken)
            : (null, null);
}
