using Microsoft.Extensions.Options;
using SendGate.Core.Mime;

namespace SendGate.Core.Delivery;

/// <summary>
/// Writes each message as <c>&lt;message id&gt;.eml</c> into a folder, with the envelope in
/// <c>X-Sender</c> / <c>X-Receiver</c> lines first (the pickup-folder convention of IIS and
/// Exchange). The file appears whole (written aside, then renamed), and a retry overwrites it,
/// so the folder never holds a message twice.
/// </summary>
public sealed class PickupTransportFactory(IOptions<DeliveryOptions> options) : IMailTransportFactory
{
    public IMailTransport Create() => new PickupTransport(Path.GetFullPath(options.Value.PickupDirectory));

    private sealed class PickupTransport(string directory) : IMailTransport
    {
        public async Task<TransportResult> SendAsync(OutgoingMessage outgoing, CancellationToken cancellationToken)
        {
            var (id, _, message, sender, recipients) = outgoing;
            try
            {
                Directory.CreateDirectory(directory);
                var name = PickupFileName(id);
                var temp = Path.Combine(directory, $".{name}.{Guid.NewGuid():N}.tmp");
                await using (var file = new FileStream(temp, FileMode.CreateNew, FileAccess.Write, FileShare.None, 64 * 1024, useAsync: true))
                {
                    await using (var envelope = new StreamWriter(file, leaveOpen: true) { NewLine = "\r\n" })
                    {
                        await envelope.WriteLineAsync($"X-Sender: {sender.Address}");
                        foreach (var recipient in recipients)
                        {
                            await envelope.WriteLineAsync($"X-Receiver: {recipient.Address}");
                        }
                    }

                    await message.WriteToAsync(MessageIntake.WriteFormat, file, cancellationToken);
                    await file.FlushAsync(cancellationToken);
                    file.Flush(flushToDisk: true);
                }

                File.Move(temp, Path.Combine(directory, name), overwrite: true);
                return new TransportResult(TransportResultKind.Delivered, "written to pickup folder",
                    recipients.Select(r => new RecipientOutcome(r.Address, RecipientVerdict.Accepted, null)).ToList());
            }
            catch (IOException ex)
            {
                return TransportResult.Transient($"pickup folder: {ex.Message}");
            }
            catch (UnauthorizedAccessException ex)
            {
                return TransportResult.Transient($"pickup folder: {ex.Message}");
            }
        }

        public ValueTask DisposeAsync() => ValueTask.CompletedTask;

        private static string PickupFileName(string id)
        {
            var safe = new string(id.Select(c => char.IsLetterOrDigit(c) || c is '-' or '_' ? c : '_').ToArray());
            return safe + ".eml";
        }
    }
}
