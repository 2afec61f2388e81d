using System.Text.Json;
using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core.Encryption;
using SendGate.Core.Messages;
using SendGate.Core.Notifications;
using SendGate.Core.Policies;

namespace SendGate.Core.Links;

public abstract record LinkOutcome
{
    /// <summary>The attachments are out of the message and its notice is in.</summary>
    public sealed record Linked(LinkRow Link, IReadOnlyList<LinkFileRow> Files) : LinkOutcome;

    /// <summary>The message has no attachment left to link: it goes as it is.</summary>
    public sealed record NothingToLink : LinkOutcome;

    public sealed record LeaseLost : LinkOutcome;
}

/// <summary>
/// Carries out a decision's <c>replaceAttachmentsWithLink</c> when the message is delivered. The
/// first attempt copies every attachment into the download store and creates the link (its token
/// hashed, and encrypted for the retries); a retry finds the link and rebuilds the same notice.
/// Any failure to write the store throws: the caller sends nothing (fail closed).
/// </summary>
public sealed class MessageLinks(
    LinkStore links,
    PasswordMailStore passwords,
    IDownloadStore files,
    SecretVault vault,
    PolicyService policies,
    TimeProvider time,
    IOptions<NotificationOptions> notifications)
{
    public string UrlOf(string token) => $"{notifications.Value.PublicBaseUrl.TrimEnd('/')}/download/{token}";

    public async Task<LinkOutcome> ApplyAsync(MessageRow row, MimeMessage message, LinkDecision decision, string owner, CancellationToken cancellationToken)
    {
        // Materialised first: the tree changes below, and Attachments is a lazy walk over it.
        var attachments = message.Attachments.ToList();
        if (attachments.Count == 0)
        {
            return new LinkOutcome.NothingToLink();
        }

        var settings = (await policies.GetSnapshotAsync(row.TenantId, cancellationToken)).Settings;
        if (decision.PasswordMail && !await EnsurePasswordAsync(row, owner, cancellationToken))
        {
            return new LinkOutcome.LeaseLost();
        }

        var link = await links.GetByMessageAsync(row.Id, cancellationToken);
        string token;
        IReadOnlyList<LinkFileRow> stored;
        if (link is null)
        {
            (link, stored, token) = await CreateAsync(row, attachments, decision, owner, cancellationToken) is { } created
                ? created
                : (null, [], "");
            if (link is null)
            {
                return new LinkOutcome.LeaseLost();
            }
        }
        else if (link.TokenCiphertext is { } ciphertext)
        {
            token = vault.Unprotect(ciphertext, link.Id, link.TokenKeyId);
            stored = await links.GetFilesAsync(link, cancellationToken);
        }
        else
        {
            throw new InvalidOperationException($"Message {row.Id} is being delivered but its link's token was already dropped.");
        }

        foreach (var attachment in attachments)
        {
            AttachmentZipper.Detach(message, attachment);
        }

        var notice = LinkTemplates.Notice(settings.Language, UrlOf(token), stored.Select(f => new NoticeFile(f.FileName, f.Size)).ToList(),
            settings.LocalTime(Clock.FromMs(link.ExpiresAt)), link.VerifyRecipient, decision.PasswordMail);
        AttachmentZipper.AppendToMixed(message, notice, null);
        return new LinkOutcome.Linked(link, stored);
    }

    /// <summary>
    /// The link's password (PPAP-compatible mode) is made once, before the link, and kept like a
    /// zip password: encrypted in its waiting password mail, which goes out once the notice is
    /// accepted; the page checks the hash that stays. False when the message's lease is lost.
    /// </summary>
    private async Task<bool> EnsurePasswordAsync(MessageRow row, string owner, CancellationToken cancellationToken)
    {
        if (await passwords.GetByMessageAsync(row.Id, cancellationToken) is not null)
        {
            return true;
        }

        var now = time.GetUtcNow().ToUnixTimeMilliseconds();
        var id = $"pwm_{Guid.CreateVersion7():N}";
        var password = ZipPassword.Generate(12);
        var created = new PasswordMailRow
        {
            Id = id, MessageId = row.Id, TenantId = row.TenantId, Status = PasswordMailStatus.Waiting, ZipName = "", PasswordTo = "recipients",
            DelayMs = 0, PasswordCiphertext = vault.Protect(password, id), PasswordKeyId = vault.KeyId, PasswordHash = vault.Hash(password),
            CreatedAt = now, UpdatedAt = now,
        };
        // Its event is the link's (message.link_created says passwordMail); the password mail's own events follow.
        return await passwords.InsertWaitingAsync(created, owner, null, cancellationToken);
    }

    private async Task<(LinkRow, IReadOnlyList<LinkFileRow>, string)?> CreateAsync(MessageRow row, List<MimeEntity> attachments, LinkDecision decision, string owner,
        CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var id = $"lnk_{Guid.CreateVersion7():N}";
        var token = LinkTokens.Create();
        var rows = new List<LinkFileRow>();
        for (var i = 0; i < attachments.Count; i++)
        {
            var (name, type) = Describe(attachments[i], i);
            // The key is the message's, so a retry after a crash overwrites what the first attempt left.
            var key = $"{row.Id}/{i}";
            var entity = attachments[i];
            var size = await files.WriteAsync(row.TenantId, key, stream => WriteContentAsync(entity, stream, cancellationToken), cancellationToken);
            rows.Add(new LinkFileRow
            {
                Id = $"lnf_{Guid.CreateVersion7():N}", LinkId = id, TenantId = row.TenantId, Position = i, FileName = name, ContentType = type,
                Size = size, StoreKey = key,
            });
        }

        var link = new LinkRow
        {
            Id = id, MessageId = row.Id, TenantId = row.TenantId, TokenHash = LinkTokens.Hash(token), TokenCiphertext = vault.Protect(token, id),
            TokenKeyId = vault.KeyId, Status = LinkStatus.Active, ExpiresAt = (now + System.Xml.XmlConvert.ToTimeSpan(decision.Expiry)).ToUnixTimeMilliseconds(),
            MaxDownloadsPerFile = decision.MaxDownloadsPerFile, VerifyRecipient = decision.VerifyRecipient, NotifySender = decision.NotifySenderOnFirstDownload,
            CreatedAt = now.ToUnixTimeMilliseconds(),
        };
        var data = JsonSerializer.Serialize(new
        {
            linkId = id, expiresAt = Rfc3339.Format(Clock.FromMs(link.ExpiresAt)), maxDownloadsPerFile = decision.MaxDownloadsPerFile,
            verifyRecipient = decision.VerifyRecipient, passwordMail = decision.PasswordMail, files = rows.Select(f => new { fileName = f.FileName, size = f.Size }),
        });
        var e = new NewEvent(LinkEventType.Created, null, null, $"worker:{owner}",
            $"{rows.Count} attachment(s) replaced by a download link valid until {Rfc3339.Format(Clock.FromMs(link.ExpiresAt))}", data);
        return await links.InsertAsync(link, rows, owner, e, cancellationToken) ? (link, rows, token) : null;
    }

    private static (string Name, string ContentType) Describe(MimeEntity entity, int position) => entity switch
    {
        MimePart part => (Named(part.FileName, position, ".bin"), part.ContentType.MimeType.ToLowerInvariant()),
        MessagePart attached => (Named(attached.ContentDisposition?.FileName ?? attached.ContentType.Name, position, ".eml"), "message/rfc822"),
        _ => (Named(null, position, ".bin"), "application/octet-stream"),
    };

    private static string Named(string? name, int position, string extension)
    {
        var clean = new string((name ?? "").Select(c => char.IsControl(c) || c is '/' or '\\' ? '_' : c).ToArray()).Trim();
        return clean.Length > 0 ? clean : $"attachment-{position + 1}{extension}";
    }

    private static async Task WriteContentAsync(MimeEntity entity, Stream target, CancellationToken cancellationToken)
    {
        switch (entity)
        {
            case MimePart { Content: { } content }:
                await content.DecodeToAsync(target, cancellationToken);
                break;
            case MessagePart { Message: { } attached }:
                await attached.WriteToAsync(target, cancellationToken);
                break;
        }
    }
}
