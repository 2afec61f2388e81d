using System.Net.Sockets;
using MailKit;
using MailKit.Net.Smtp;
using MailKit.Security;
using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core.Mime;

namespace SendGate.Core.Delivery;

/// <summary>
/// Delivers to the configured relay with MailKit, one reused connection per lane. Every reply
/// that decides a transaction (a refused sender or recipient, the end of DATA) is counted by
/// command and class in <see cref="Telemetry.SendGateMetrics"/>, for messages, password mails and
/// notices alike.
/// </summary>
public sealed class SmtpTransportFactory(IOptions<SmtpOptions> options, Telemetry.SendGateMetrics? metrics = null) : IMailTransportFactory
{
    public IMailTransport Create() => new SmtpTransport(options.Value, metrics);

    private sealed class SmtpTransport(SmtpOptions options, Telemetry.SendGateMetrics? metrics) : IMailTransport
    {
        private RecordingSmtpClient? _client;

        public async Task<TransportResult> SendAsync(OutgoingMessage outgoing, CancellationToken cancellationToken)
        {
            RecordingSmtpClient client;
            try
            {
                client = await ConnectedClientAsync(cancellationToken);
            }
            catch (Exception ex) when (IsConnectionFault(ex))
            {
                await DropAsync();
                return TransportResult.Transient($"cannot reach relay {options.Host}:{options.Port}: {ex.Message}");
            }
            catch (AuthenticationException ex)
            {
                await DropAsync();
                return TransportResult.Transient($"relay refused authentication: {ex.Message}");
            }

            client.Rejected.Clear();
            try
            {
                var reply = await client.SendAsync(MessageIntake.WriteFormat, outgoing.Message, outgoing.Sender, outgoing.Recipients, cancellationToken);
                CountRefusals(client);
                metrics?.RelayReplied("data", (int)SmtpStatusCode.Ok);
                var outcomes = outgoing.Recipients.Select(r => client.Rejected.TryGetValue(r.Address, out var rejection)
                        ? new RecipientOutcome(r.Address, IsPermanent(rejection.StatusCode) ? RecipientVerdict.Rejected : RecipientVerdict.Deferred, Describe(rejection))
                        : new RecipientOutcome(r.Address, RecipientVerdict.Accepted, reply))
                    .ToList();
                return new TransportResult(TransportResultKind.Delivered, reply, outcomes);
            }
            catch (SmtpCommandException ex)
            {
                // The relay answered; the session is still usable after RSET, but a fresh one is cheaper to reason about.
                await DropAsync();
                var reply = $"{(int)ex.StatusCode} {ex.Message}";
                CountRefusals(client);
                if (ex.ErrorCode == SmtpErrorCode.RecipientNotAccepted && client.Rejected.Count > 0)
                {
                    // No recipient was accepted: the verdict is per recipient.
                    var outcomes = outgoing.Recipients.Select(r => client.Rejected.TryGetValue(r.Address, out var rejection)
                            ? new RecipientOutcome(r.Address, IsPermanent(rejection.StatusCode) ? RecipientVerdict.Rejected : RecipientVerdict.Deferred, Describe(rejection))
                            : new RecipientOutcome(r.Address, RecipientVerdict.Deferred, reply))
                        .ToList();
                    var kind = outcomes.All(o => o.Verdict == RecipientVerdict.Rejected) ? TransportResultKind.PermanentFailure : TransportResultKind.TransientFailure;
                    return new TransportResult(kind, reply, outcomes);
                }

                metrics?.RelayReplied(ex.ErrorCode switch
                {
                    SmtpErrorCode.SenderNotAccepted => "mail",
                    SmtpErrorCode.RecipientNotAccepted => "rcpt",
                    SmtpErrorCode.MessageNotAccepted => "data",
                    _ => "other",
                }, (int)ex.StatusCode);
                return IsPermanent(ex.StatusCode) ? TransportResult.Permanent(reply) : TransportResult.Transient(reply);
            }
            catch (Exception ex) when (IsConnectionFault(ex) && !cancellationToken.IsCancellationRequested)
            {
                await DropAsync();
                return TransportResult.Transient($"connection to relay lost: {ex.Message}");
            }
            catch (OperationCanceledException)
            {
                // Stopped in the middle of a transaction: the session is in an unknown state, never reused.
                await DropAsync();
                throw;
            }
        }

        public async ValueTask DisposeAsync() => await DropAsync(quit: true);

        // Each refused recipient is a reply of its own; "no recipient accepted" is ours, not the relay's.
        private void CountRefusals(RecordingSmtpClient client)
        {
            foreach (var rejection in client.Rejected.Values)
            {
                metrics?.RelayReplied("rcpt", (int)rejection.StatusCode);
            }
        }

        private async Task<RecordingSmtpClient> ConnectedClientAsync(CancellationToken cancellationToken)
        {
            if (_client is { IsConnected: true })
            {
                return _client;
            }

            await DropAsync();
            var client = new RecordingSmtpClient { Timeout = (int)options.Timeout.TotalMilliseconds };
            if (!string.IsNullOrEmpty(options.LocalDomain))
            {
                client.LocalDomain = options.LocalDomain;
            }

            Socket? socket = null;
            try
            {
                // Our own socket, for NoDelay: with Nagle's algorithm on, the small writes that end a
                // pipelined transaction wait for the relay's delayed ACK (~40 ms per message).
                socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                using (var connectTimeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken))
                {
                    connectTimeout.CancelAfter(options.Timeout);
                    await socket.ConnectAsync(options.Host, options.Port, connectTimeout.Token);
                }

                await client.ConnectAsync(socket, options.Host, options.Port, ToMailKit(options.Security), cancellationToken);
                if (!options.Pipelining)
                {
                    client.Capabilities &= ~SmtpCapabilities.Pipelining;
                }

                if (!string.IsNullOrEmpty(options.User))
                {
                    await client.AuthenticateAsync(options.User, options.Password ?? "", cancellationToken);
                }
            }
            catch
            {
                client.Dispose();
                socket?.Dispose();
                throw;
            }

            _client = client;
            return client;
        }

        private async Task DropAsync(bool quit = false)
        {
            if (_client is null)
            {
                return;
            }

            var client = _client;
            _client = null;
            try
            {
                if (quit && client.IsConnected)
                {
                    using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(5));
                    await client.DisconnectAsync(true, timeout.Token);
                }
            }
            catch (Exception ex) when (IsConnectionFault(ex) || ex is SmtpCommandException)
            {
                // Closing anyway.
            }
            finally
            {
                client.Dispose();
            }
        }

        private static SecureSocketOptions ToMailKit(SmtpSecurity security) => security switch
        {
            SmtpSecurity.None => SecureSocketOptions.None,
            SmtpSecurity.StartTls => SecureSocketOptions.StartTls,
            SmtpSecurity.StartTlsWhenAvailable => SecureSocketOptions.StartTlsWhenAvailable,
            SmtpSecurity.SslOnConnect => SecureSocketOptions.SslOnConnect,
            _ => SecureSocketOptions.Auto,
        };

        private static bool IsPermanent(SmtpStatusCode code) => (int)code >= 500;

        private static string Describe(SmtpResponse response) => $"{(int)response.StatusCode} {response.Response}";

        private static bool IsConnectionFault(Exception ex) =>
            ex is SocketException or IOException or TimeoutException or SmtpProtocolException or ServiceNotConnectedException
                or OperationCanceledException or SslHandshakeException;
    }

    /// <summary>
    /// Keeps going when some recipients are refused (MailKit would abort the whole envelope) and
    /// remembers each refusal, so that accepted recipients get the mail and refused ones are recorded.
    /// </summary>
    private sealed class RecordingSmtpClient : SmtpClient
    {
        public Dictionary<string, SmtpResponse> Rejected { get; } = new(StringComparer.OrdinalIgnoreCase);

        protected override void OnRecipientNotAccepted(MimeMessage message, MailboxAddress mailbox, SmtpResponse response) =>
            Rejected[mailbox.Address] = response;

        protected override void OnNoRecipientsAccepted(MimeMessage message) =>
            throw new SmtpCommandException(SmtpErrorCode.RecipientNotAccepted, SmtpStatusCode.MailboxUnavailable, "No recipient was accepted by the relay.");
    }
}
