using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using SendGate.Api.Infrastructure;
using SendGate.Core;
using SendGate.Core.Messages;
using SendGate.Core.Mime;

namespace SendGate.Api.Messages;

/// <summary>
/// Reading a message from a request, the one way both doors that take one use it: the submission
/// (<c>POST /v1/messages</c>) and the policy dry runs. The media type, the bounded body (a MIME
/// header section checked as it arrives), the JSON or MIME parse with every violation reported,
/// <c>sendAt</c>, and the hash an Idempotency-Key is compared by.
/// </summary>
internal static class SubmissionRequest
{
    public const string Json = "application/json";
    public const string Mime = "message/rfc822";

    private static readonly JsonSerializerOptions RequestJson = new(JsonSerializerDefaults.Web)
    {
        // A misspelt field would otherwise be dropped silently, e.g. a Bcc list that never applies.
        UnmappedMemberHandling = System.Text.Json.Serialization.JsonUnmappedMemberHandling.Disallow,
    };

    /// <summary>A submission's body as received: JSON, or MIME with an optional header charset.</summary>
    internal sealed record SubmissionBody(bool IsJson, Encoding? Charset, byte[] Bytes);

    internal sealed record ReadResult(SubmissionBody? Body, ProblemHttpResult? Problem);

    internal sealed record PrepareResult(PreparedMessage? Message, DateTimeOffset? SendAt, ProblemHttpResult? Problem);

    /// <summary>Checks the media type and reads the body; shared by submission and the policy dry run.</summary>
    internal static async Task<ReadResult> ReadSubmissionAsync(HttpContext context, LimitsOptions limits, CancellationToken cancellationToken)
    {
        var limit = limits.MaxRequestBytes;
        var request = context.Request;
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || mediaType.MediaType?.ToLowerInvariant() is not (Json or Mime))
        {
            return new(null, Problems.Unsupported(request.ContentType, Json, Mime));
        }

        var isJson = mediaType.MediaType!.Equals(Json, StringComparison.OrdinalIgnoreCase);
        var charset = isJson ? null : HeaderCharset(mediaType);
        if (!isJson && charset is null && mediaType.CharSet is { Length: > 0 })
        {
            return new(null, Problems.Invalid("Content-Type", ViolationCode.InvalidField, $"charset '{mediaType.CharSet}' is not a known character set."));
        }

        // MIME's header section is checked as it arrives; a JSON body's fields once deserialised.
        var headers = isJson ? null : new HeaderScanner(limits);
        var body = await RequestBody.ReadAsync(context, limit, cancellationToken, headers);
        if (headers?.Violation is { } hostile)
        {
            return new(null, Problems.Invalid([hostile]));
        }

        return body is null ? new(null, Problems.TooLarge(limit)) : new(new SubmissionBody(isJson, charset, body), null);
    }

    /// <summary>Validates the body and builds the message to store (or to evaluate); every violation is reported.</summary>
    internal static PrepareResult Prepare(SubmissionBody body, string messageId, string? sendAtQuery, MessageIntake intake, SubmissionService submissions)
    {
        MessageIntake.Result prepared;
        string? sendAtText;
        if (body.IsJson)
        {
            MessageRequest? message;
            try
            {
                message = JsonSerializer.Deserialize<MessageRequest>(body.Bytes, RequestJson);
            }
            catch (JsonException ex)
            {
                var (field, problem) = JsonErrors.Describe(ex, typeof(MessageRequest), RequestJson);
                return new(null, null, Problems.Invalid(field, ViolationCode.MalformedJson, problem));
            }

            if (message is null)
            {
                return new(null, null, Problems.Invalid("body", ViolationCode.MalformedJson, "The body must be a JSON object."));
            }

            if (sendAtQuery is not null)
            {
                return new(null, null, Problems.Invalid("sendAt", ViolationCode.InvalidField, "With JSON, give sendAt in the body, not in the query."));
            }

            prepared = intake.FromJson(message, messageId);
            sendAtText = message.SendAt;
        }
        else
        {
            prepared = intake.FromMime(body.Bytes, messageId, body.Charset);
            sendAtText = sendAtQuery;
        }

        var violations = prepared.Violations.ToList();
        var sendAtValue = SendAt(sendAtText, submissions, violations);
        return violations.Count > 0 || prepared.Message is null
            ? new(null, null, Problems.Invalid(violations))
            : new(prepared.Message, sendAtValue, null);
    }

    /// <summary>A JSON message validated and built as a submission's; the violations instead of a message when invalid.</summary>
    internal static (PreparedMessage? Message, DateTimeOffset? SendAt, List<Violation> Violations) PrepareJson(
        MessageRequest message, string messageId, MessageIntake intake, SubmissionService submissions)
    {
        var prepared = intake.FromJson(message, messageId);
        var violations = prepared.Violations.ToList();
        var sendAt = SendAt(message.SendAt, submissions, violations);
        return (violations.Count == 0 ? prepared.Message : null, sendAt, violations);
    }

    private static DateTimeOffset? SendAt(string? sendAtText, SubmissionService submissions, List<Violation> violations)
    {
        DateTimeOffset? sendAtValue = null;
        if (sendAtText is not null)
        {
            if (Rfc3339.TryParse(sendAtText, out var parsed))
            {
                sendAtValue = parsed;
                if (submissions.CheckSendAt(parsed, "sendAt") is { } late)
                {
                    violations.Add(late);
                }
            }
            else
            {
                violations.Add(new Violation("sendAt", ViolationCode.InvalidField, $"'{sendAtText}' is not an RFC 3339 date-time with offset, e.g. 2026-12-01T09:00:00+09:00."));
            }
        }

        return sendAtValue;
    }

    private static Encoding? HeaderCharset(MediaTypeHeaderValue mediaType)
    {
        if (string.IsNullOrEmpty(mediaType.CharSet))
        {
            return null;
        }

        try
        {
            return Encoding.GetEncoding(mediaType.CharSet.Trim('"'));
        }
        catch (ArgumentException)
        {
            return null;
        }
    }

    // The whole Content-Type counts (a charset changes what the bytes mean), compared case-insensitively.
    internal static string RequestHash(string contentType, string? sendAt, byte[] body)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        hash.AppendData(Encoding.UTF8.GetBytes($"{contentType.Replace(" ", "", StringComparison.Ordinal).ToLowerInvariant()}\n{sendAt}\n"));
        hash.AppendData(body);
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
