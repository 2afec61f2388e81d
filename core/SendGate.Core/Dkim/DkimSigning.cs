using System.Globalization;
using Microsoft.Extensions.Logging;
using MimeKit;
using MimeKit.Cryptography;
using SendGate.Core.Delivery;

namespace SendGate.Core.Dkim;

/// <summary>
/// Signs every mail SendGate sends — released messages, password mails, notifications — as the
/// last step before the relay: after Bcc conversion, rewrites and zips, so the signature covers
/// exactly what leaves. The key is the tenant's active key for the From domain (or a parent
/// domain); mail from a domain without one leaves unsigned, as before.
/// </summary>
public sealed class DkimSigning(DkimKeys keys, ILogger<DkimSigning> logger)
{
    // What a reader sees and a forger would change. A header the message lacks is left out (MimeKit signs only those present).
    private static readonly HeaderId[] SignedHeaders =
    [
        HeaderId.From, HeaderId.Sender, HeaderId.ReplyTo, HeaderId.To, HeaderId.Cc, HeaderId.Subject, HeaderId.Date, HeaderId.MessageId,
        HeaderId.InReplyTo, HeaderId.References, HeaderId.MimeVersion, HeaderId.ContentType, HeaderId.ContentTransferEncoding,
    ];

    /// <summary>Signs the message in place when its tenant has a key for its From domain; says with which key, or null.</summary>
    public async ValueTask<DkimSigningKey?> SignAsync(OutgoingMessage outgoing, CancellationToken cancellationToken)
    {
        if (FromDomain(outgoing.Message) is not { } domain
            || await keys.SigningKeyAsync(outgoing.TenantId, domain, cancellationToken) is not { } key)
        {
            return null;
        }

        var message = outgoing.Message;
        // Relays may re-encode 8-bit parts for a 7-bit hop and so break the body hash: the body is made 7-bit first.
        message.Prepare(EncodingConstraint.SevenBit);
        var signer = new DkimSigner(key.PrivateKey, key.Domain, key.Selector, DkimSignatureAlgorithm.RsaSha256)
        {
            HeaderCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            BodyCanonicalizationAlgorithm = DkimCanonicalizationAlgorithm.Relaxed,
            QueryMethod = "dns/txt",
        };
        signer.Sign(message, SignedHeaders);
        DkimLog.Signed(logger, outgoing.Id, key.Domain, key.Selector);
        return key;
    }

    /// <summary>The first From mailbox's domain as DNS writes it (lower-case A-labels), or null when it has none.</summary>
    public static string? FromDomain(MimeMessage message)
    {
        var from = message.From.Mailboxes.FirstOrDefault()?.Domain;
        if (string.IsNullOrEmpty(from))
        {
            return null;
        }

        try
        {
            return new IdnMapping().GetAscii(from.TrimEnd('.')).ToLowerInvariant();
        }
        catch (ArgumentException)
        {
            return null;
        }
    }
}

/// <summary>Wraps the configured transports so that every lane signs before it sends.</summary>
public sealed class DkimSigningTransportFactory(IMailTransportFactory inner, DkimSigning signing, ILogger<DkimSigning> logger) : IMailTransportFactory
{
    public IMailTransport Create() => new Lane(inner.Create(), signing, logger);

    private sealed class Lane(IMailTransport inner, DkimSigning signing, ILogger logger) : IMailTransport
    {
        public async Task<TransportResult> SendAsync(OutgoingMessage outgoing, CancellationToken cancellationToken)
        {
            try
            {
                await signing.SignAsync(outgoing, cancellationToken);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // A key that cannot be read (the vault key changed) is a fault to fix, not a reason
                // to send the tenant's mail unsigned: it waits and is tried again.
                DkimLog.SigningFailed(logger, ex, outgoing.Id);
                return TransportResult.Transient($"DKIM signing failed: {ex.Message}");
            }

            return await inner.SendAsync(outgoing, cancellationToken);
        }

        public ValueTask DisposeAsync() => inner.DisposeAsync();
    }
}

internal static partial class DkimLog
{
    [LoggerMessage(EventId = 4101, Level = LogLevel.Debug, Message = "Signed {Id} with DKIM d={Domain} s={Selector}")]
    public static partial void Signed(ILogger logger, string id, string domain, string selector);

    [LoggerMessage(EventId = 4102, Level = LogLevel.Error, Message = "DKIM signing of {Id} failed; it is tried again later")]
    public static partial void SigningFailed(ILogger logger, Exception exception, string id);
}
