using MimeKit;
using Microsoft.Extensions.Options;
using SendGate.Core.Messages;
using SendGate.Core.Policies;

namespace SendGate.Core.Encryption;

/// <summary>The encrypted form of one outgoing message: its zip lives in a temporary file until the message has been sent.</summary>
public sealed class EncryptedMessage(MimeMessage message, Stream zipStorage, ZipResult zip) : IDisposable
{
    public MimeMessage Message { get; } = message;

    public ZipResult Zip { get; } = zip;

    public void Dispose() => zipStorage.Dispose();
}

public abstract record EncryptionOutcome
{
    public sealed record Encrypted(EncryptedMessage Message) : EncryptionOutcome;

    /// <summary>Nothing left to encrypt (e.g. only already-encrypted zips): the message goes as it is, without a password mail.</summary>
    public sealed record NothingToEncrypt : EncryptionOutcome;

    public sealed record LeaseLost : EncryptionOutcome;
}

/// <summary>
/// Carries out a decision's <c>encryptAttachments</c> when the message is delivered: one password
/// per message (made on the first attempt, kept encrypted for the retries and the password mail),
/// the attachments zipped into a temporary file, the password mail created as <c>waiting</c>.
/// </summary>
public sealed class MessageEncryption(
    PasswordMailStore passwords,
    SecretVault vault,
    PolicyService policies,
    TimeProvider time,
    IOptions<EncryptionOptions> options)
{
    public async Task<EncryptionOutcome> EncryptAsync(MessageRow row, MimeMessage message, EncryptionDecision decision, string owner, CancellationToken cancellationToken)
    {
        var settings = (await policies.GetSnapshotAsync(row.TenantId, cancellationToken)).Settings;
        var now = time.GetUtcNow();
        var existing = await passwords.GetByMessageAsync(row.Id, cancellationToken);
        string password, zipName, id;
        if (existing is null)
        {
            id = $"pwm_{Guid.CreateVersion7():N}";
            password = ZipPassword.Generate(decision.PasswordLength);
            zipName = MailTemplates.ZipName(settings.ZipFileNameTemplate, settings.LocalTime(now));
        }
        else if (existing is { Status: PasswordMailStatus.Waiting, PasswordCiphertext: { } ciphertext })
        {
            // A retry: the same password as the first attempt, so any zip a recipient got opens with the one password mail.
            (id, zipName) = (existing.Id, existing.ZipName);
            password = vault.Unprotect(ciphertext, existing.Id, existing.PasswordKeyId);
        }
        else
        {
            throw new InvalidOperationException($"Message {row.Id} is being delivered but its password mail is {existing.Status}.");
        }

        var storage = new FileStream(Path.Combine(Path.GetTempPath(), $"sendgate-{id}-{Guid.NewGuid():N}.zip"),
            FileMode.CreateNew, FileAccess.ReadWrite, FileShare.None, 81920, FileOptions.DeleteOnClose);
        try
        {
            var zipOptions = new ZipOptions(decision.Method, decision.NameEncoding, decision.FileNameEncoding,
                decision.AlreadyEncrypted == "passThrough", options.Value.CompressionLevel);
            var notice = decision.Notice ? MailTemplates.Notice(settings.Language, zipName, decision.PasswordTo) : null;
            var zip = AttachmentZipper.Apply(message, zipOptions, password, zipName, settings.LocalTime(now), storage, notice);
            if (zip is null)
            {
                await storage.DisposeAsync();
                return new EncryptionOutcome.NothingToEncrypt();
            }

            if (existing is null)
            {
                var created = new PasswordMailRow
                {
                    Id = id, MessageId = row.Id, TenantId = row.TenantId, Status = PasswordMailStatus.Waiting, ZipName = zipName,
                    PasswordTo = decision.PasswordTo, DelayMs = (long)System.Xml.XmlConvert.ToTimeSpan(decision.PasswordDelay).TotalMilliseconds,
                    PasswordCiphertext = vault.Protect(password, id), PasswordKeyId = vault.KeyId, PasswordHash = vault.Hash(password),
                    CreatedAt = now.ToUnixTimeMilliseconds(), UpdatedAt = now.ToUnixTimeMilliseconds(),
                };
                var data = System.Text.Json.JsonSerializer.Serialize(new
                {
                    passwordMailId = id, zipName, method = decision.Method, nameEncoding = decision.NameEncoding,
                    encrypted = zip.Encrypted, passedThrough = zip.PassedThrough, zipBytes = zip.ZipBytes,
                });
                var e = new NewEvent(PasswordMailEventType.AttachmentsEncrypted, null, null, $"worker:{owner}",
                    $"{zip.Encrypted.Count} attachment(s) encrypted into {zipName} ({decision.Method})", data);
                if (!await passwords.InsertWaitingAsync(created, owner, e, cancellationToken))
                {
                    await storage.DisposeAsync();
                    return new EncryptionOutcome.LeaseLost();
                }
            }

            return new EncryptionOutcome.Encrypted(new EncryptedMessage(message, storage, zip));
        }
        catch
        {
            await storage.DisposeAsync();
            throw;
        }
    }
}
