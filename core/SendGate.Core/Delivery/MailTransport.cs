using MimeKit;

namespace SendGate.Core.Delivery;

/// <summary>What the relay said about one recipient.</summary>
public sealed record RecipientOutcome(string Address, RecipientVerdict Verdict, string? Reply);

public enum RecipientVerdict { Accepted, Rejected, Deferred }

/// <summary>
/// The result of one attempt. <see cref="Kind"/> says what happened to the message as a whole;
/// <see cref="Recipients"/> what happened to each envelope recipient when the relay got that far.
/// </summary>
public sealed record TransportResult(TransportResultKind Kind, string? Reply, IReadOnlyList<RecipientOutcome> Recipients)
{
    public static TransportResult Transient(string reply) => new(TransportResultKind.TransientFailure, reply, []);

    public static TransportResult Permanent(string reply) => new(TransportResultKind.PermanentFailure, reply, []);
}

public enum TransportResultKind
{
    /// <summary>The relay took the message for at least one recipient (see the per-recipient outcomes).</summary>
    Delivered,

    /// <summary>4xx or a network fault: worth trying again later.</summary>
    TransientFailure,

    /// <summary>5xx for the message as a whole: trying again will not help.</summary>
    PermanentFailure,
}

/// <summary>
/// One delivery lane (an SMTP connection, or a pickup folder). A lane is used by one caller at a
/// time and reused across messages; it reconnects by itself after a failure.
/// </summary>
public interface IMailTransport : IAsyncDisposable
{
    Task<TransportResult> SendAsync(OutgoingMessage outgoing, CancellationToken cancellationToken);
}

/// <summary>A message ready to leave: the MIME as it will be sent, its explicit envelope, and the tenant it is sent for (whose DKIM key signs it).</summary>
public sealed record OutgoingMessage(string Id, string TenantId, MimeMessage Message, MailboxAddress Sender, IReadOnlyList<MailboxAddress> Recipients);

public interface IMailTransportFactory
{
    IMailTransport Create();
}
