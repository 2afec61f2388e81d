namespace SendGate.Core.Messages;

/// <summary>Message statuses as stored (text, checked by the schema) and shown by the API.</summary>
public static class MessageStatus
{
    public const string Held = "held";
    public const string AwaitingApproval = "awaiting_approval";
    public const string Queued = "queued";
    public const string Sending = "sending";
    public const string Sent = "sent";
    public const string Failed = "failed";
    public const string Cancelled = "cancelled";
    public const string Rejected = "rejected";

    public static readonly IReadOnlyList<string> All =
        [Held, AwaitingApproval, Queued, Sending, Sent, Failed, Cancelled, Rejected];

    /// <summary>
    /// The only transitions the lifecycle allows. Every status change is a method of
    /// <see cref="Lifecycle.MessageLifecycle"/>, which checks this table (through
    /// <see cref="Lifecycle.LifecycleRules"/>) and then swaps the status in SQL only if it is
    /// still the expected one.
    /// </summary>
    public static readonly IReadOnlyDictionary<string, IReadOnlySet<string>> Transitions =
        new Dictionary<string, IReadOnlySet<string>>
        {
            [Held] = new HashSet<string> { Queued, Cancelled },
            [AwaitingApproval] = new HashSet<string> { Queued, Held, Cancelled, Rejected },
            // A queued message has not been handed to any relay yet, so it can still be stopped.
            [Queued] = new HashSet<string> { Sending, Cancelled },
            // Back to queued on a transient failure (retry), or re-claimed after a lease expired.
            [Sending] = new HashSet<string> { Sent, Queued, Failed, Sending },
            [Sent] = new HashSet<string>(),
            [Failed] = new HashSet<string>(),
            [Cancelled] = new HashSet<string>(),
            [Rejected] = new HashSet<string>(),
        };

    /// <summary>Statuses a new message may start in.</summary>
    public static readonly IReadOnlySet<string> Initial = new HashSet<string> { Held, AwaitingApproval, Queued, Rejected };

    public static bool IsFinal(string status) => Transitions[status].Count == 0;

    public static bool CanTransition(string from, string to) =>
        Transitions.TryGetValue(from, out var next) && next.Contains(to);
}

/// <summary>Event types recorded for every transition (and a few non-transition facts).</summary>
public static class MessageEventType
{
    public const string Accepted = "message.accepted";
    public const string Held = "message.held";
    public const string Released = "message.released";
    public const string Cancelled = "message.cancelled";
    public const string Rejected = "message.rejected";
    public const string ApprovalRequested = "message.approval_requested";
    public const string Discarded = "message.discarded";
    public const string ContentPurged = "message.content_purged";
    public const string LegalHold = "message.legal_hold";
    public const string DeliveryStarted = "message.delivery_started";
    public const string DeliveryDeferred = "message.delivery_deferred";
    public const string RecipientRejected = "message.recipient_rejected";
    public const string Sent = "message.sent";
    public const string Failed = "message.failed";
}

public static class RecipientKind
{
    public const string To = "to";
    public const string Cc = "cc";
    public const string Bcc = "bcc";
}

public static class RecipientStatus
{
    public const string Pending = "pending";
    public const string Accepted = "accepted";
    public const string Rejected = "rejected";
}
