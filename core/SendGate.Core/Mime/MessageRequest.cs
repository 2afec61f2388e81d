namespace SendGate.Core.Mime;

/// <summary>The JSON form of a submitted message (<c>POST /v1/messages</c>, <c>application/json</c>).</summary>
public sealed record MessageRequest
{
    public string? From { get; init; }
    public IReadOnlyList<string>? To { get; init; }
    public IReadOnlyList<string>? Cc { get; init; }
    public IReadOnlyList<string>? Bcc { get; init; }
    public IReadOnlyList<string>? ReplyTo { get; init; }
    public string? Subject { get; init; }
    public string? Text { get; init; }
    public string? Html { get; init; }
    public IReadOnlyList<AttachmentRequest>? Attachments { get; init; }
    public IReadOnlyDictionary<string, string>? Headers { get; init; }
    public IReadOnlyDictionary<string, string>? Metadata { get; init; }

    /// <summary>RFC 3339 instant with offset: hold the message until then (the application's own scheduled send).</summary>
    public string? SendAt { get; init; }
}

public sealed record AttachmentRequest
{
    public string? Filename { get; init; }
    public string? ContentType { get; init; }

    /// <summary>Base64 of the file's bytes.</summary>
    public Base64Content? Content { get; init; }

    /// <summary>Set to reference the part from HTML as <c>cid:</c>; the part is then inline.</summary>
    public string? ContentId { get; init; }
}
