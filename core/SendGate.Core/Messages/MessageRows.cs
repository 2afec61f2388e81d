namespace SendGate.Core.Messages;

/// <summary>A row of <c>messages</c> as Dapper maps it (columns aliased to these names).</summary>
public sealed record MessageRow
{
    public string Id { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string Status { get; init; } = "";
    public string Source { get; init; } = "";

    /// <summary>Which door it came in by: <c>api</c> or <c>smtp</c> (<see cref="Source"/> is how it was written).</summary>
    public string Door { get; init; } = Doors.Api;
    public string EnvelopeFrom { get; init; } = "";
    public string HeaderFrom { get; init; } = "";
    public string Subject { get; init; } = "";
    public string? MessageIdHeader { get; init; }
    public long SizeBytes { get; init; }
    public int AttachmentCount { get; init; }
    public string? Metadata { get; init; }
    public string Decisions { get; init; } = "[]";
    public long CreatedAt { get; init; }
    public long UpdatedAt { get; init; }
    public long? ReleaseAt { get; init; }
    public long? DueAt { get; init; }
    public int Attempts { get; init; }
    public string? LeaseOwner { get; init; }
    public long? LeaseUntil { get; init; }
    public string? LastError { get; init; }
    public long? SentAt { get; init; }
    public int? PolicyVersion { get; init; }

    /// <summary>How a held message ends: <c>autoRelease</c>, <c>review</c> (no end) or <c>selfAudit</c> (discarded).</summary>
    public string? HoldMode { get; init; }

    /// <summary>Kept whatever the retention says.</summary>
    public bool LegalHold { get; init; }

    /// <summary>When retention deleted the content; the record itself remains.</summary>
    public long? ContentPurgedAt { get; init; }
}

public sealed record RecipientRow
{
    public string MessageId { get; init; } = "";
    public string Address { get; init; } = "";
    public string Kind { get; init; } = "";
    public string Status { get; init; } = "";
    public string? SmtpReply { get; init; }
    public long? UpdatedAt { get; init; }
}

public sealed record EventRow
{
    public string MessageId { get; init; } = "";
    public int Seq { get; init; }
    public string Type { get; init; } = "";
    public string? FromStatus { get; init; }
    public string? ToStatus { get; init; }
    public string Actor { get; init; } = "";
    public string? Reason { get; init; }
    public string? Data { get; init; }
    public long At { get; init; }
}

/// <summary>A message this worker has just claimed (status <c>sending</c>, leased to it).</summary>
public sealed record ClaimedMessage
{
    public string Id { get; init; } = "";
    public string TenantId { get; init; } = "";
    public string EnvelopeFrom { get; init; } = "";
    public int Attempts { get; init; }
    public int EventSeq { get; init; }

    /// <summary>When the message was accepted (Unix ms), for the delivery latency.</summary>
    public long CreatedAt { get; init; }
}

/// <summary>Filters of <c>GET /v1/messages</c>; all optional, combined with AND.</summary>
public sealed record MessageFilter
{
    public string? Status { get; init; }

    /// <summary>Any of these statuses (the review queue: held or awaiting approval).</summary>
    public IReadOnlyList<string>? Statuses { get; init; }

    public string? From { get; init; }
    public string? To { get; init; }
    public string? SubjectContains { get; init; }

    /// <summary>A tag a policy rule gave the message.</summary>
    public string? Tag { get; init; }

    public bool? HasAttachments { get; init; }

    /// <summary>The door it came in by: <c>api</c> or <c>smtp</c>.</summary>
    public string? Door { get; init; }

    /// <summary>Text an attachment's file name contains.</summary>
    public string? AttachmentName { get; init; }

    /// <summary>A rule that matched the message.</summary>
    public string? RuleId { get; init; }
    public long? CreatedFrom { get; init; }
    public long? CreatedTo { get; init; }

    /// <summary>Keyset cursor: rows strictly older than this (created_at, id).</summary>
    public (long CreatedAt, string Id)? Before { get; init; }

    public int Limit { get; init; } = 50;
}

/// <summary>
/// One delivery attempt's outcome, recorded only while <see cref="Owner"/> holds the lease.
/// <see cref="Zipped"/>: the message's attachments were zipped (a password mail follows it) or linked (its link's token is then dropped). <see cref="Attempt"/>: which attempt this was (1 for the first).
/// </summary>
public sealed record DeliveryOutcome(
    string Id,
    string Owner,
    string To,
    string? LastError,
    long? DueAt,
    IReadOnlyList<(string Address, string Status, string? Reply)> RecipientResults,
    NewEvent Event,
    long Now,
    bool Zipped = false,
    IReadOnlyList<SentCopy>? Sent = null,
    int Attempt = 1);

/// <summary>
/// What one relay transaction received, staged in the blob store; recorded with the delivery's
/// outcome. <paramref name="Encrypted"/>: the transaction carried the encrypted zip, so its
/// recipients get the password mail.
/// </summary>
public sealed record SentCopy(Archive.StagedBlob Blob, IReadOnlyList<string> Recipients, bool Encrypted);

public sealed record SentCopyRow
{
    public int Part { get; init; }
    public string BlobKey { get; init; } = "";
    public string Recipients { get; init; } = "[]";
    public long Size { get; init; }
    public long SentAt { get; init; }

    /// <summary>Carried the encrypted zip; null for copies recorded before this was kept.</summary>
    public bool? Encrypted { get; init; }
}

/// <summary>The doors mail comes in by: one pipeline, two doors.</summary>
public static class Doors
{
    public const string Api = "api";
    public const string Smtp = "smtp";
}
