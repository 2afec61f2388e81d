using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core.Approvals;
using SendGate.Core.Data;
using SendGate.Core.Delivery;
using SendGate.Core.Messages;
using SendGate.Core.Policies;
using SendGate.Core.Background;

namespace SendGate.Core.Notifications;

/// <summary>
/// Writes and sends the mails SendGate itself sends: approval requests and reminders (with a
/// signed link made at sending time, so no usable token is ever stored) and the outcome to the
/// sender. Same lease and retry rules as any delivery.
/// </summary>
public sealed class NotificationService(
    NotificationStore store,
    MessageStore messages,
    ApprovalStore approvals,
    PolicyService policies,
    IMailTransportFactory transports,
    WorkerIdentity identity,
    TimeProvider time,
    IOptions<DeliveryOptions> delivery,
    IOptions<NotificationOptions> options,
    ReviewConsole.ConsoleMails consoleMails,
    Links.LinkCodes linkCodes,
    ILogger<NotificationService> logger)
{
    private const int Batch = 100;

    public async Task<int> DeliverDueAsync(CancellationToken cancellationToken = default)
    {
        var sent = 0;
        var o = delivery.Value;
        var retry = o.Retries();
        IMailTransport? lane = null;
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await using var batch = await store.ClaimDueAsync(identity.Name, o.LeaseDuration, o.MessageTimeBudget, Batch, cancellationToken);
                if (batch.Count == 0)
                {
                    break;
                }

                while (!cancellationToken.IsCancellationRequested && batch.TryTake(out var row))
                {
                    var mail = await ComposeAsync(row, cancellationToken);
                    if (mail is null)
                    {
                        // Nothing left to say (e.g. the request was decided before its reminder went out).
                        await store.FinishAsync(row.Id, identity.Name, WorkQueue.Sent, "no longer relevant; not sent", null, time.NowMs());
                        continue;
                    }

                    lane ??= transports.Create();
                    var result = await lane.SendAsync(mail, cancellationToken);
                    if (result.Kind == TransportResultKind.Delivered && result.Recipients.Any(r => r.Verdict == RecipientVerdict.Accepted))
                    {
                        await store.FinishAsync(row.Id, identity.Name, WorkQueue.Sent, null, null, time.NowMs());
                        sent++;
                    }
                    else if (result.Kind == TransportResultKind.TransientFailure && retry.NextDue(row.Attempts, time.GetUtcNow()) is { } next)
                    {
                        await store.FinishAsync(row.Id, identity.Name, WorkQueue.Queued, result.Reply, next.ToUnixTimeMilliseconds(), time.NowMs());
                    }
                    else
                    {
                        await store.FinishAsync(row.Id, identity.Name, WorkQueue.Failed, result.Reply ?? "refused", null, time.NowMs());
                    }

                    Log.NotificationFinished(logger, row.Id, row.Kind, row.MessageId ?? "-", row.Attempts);
                }
            }
        }
        finally
        {
            if (lane is not null)
            {
                await lane.DisposeAsync();
            }
        }

        return sent;
    }

    /// <summary>
    /// The bounce SendGate writes itself: which recipients the relay refused and what it said, and
    /// which got the mail. Numbers in the relay's replies are masked like everything SendGate writes.
    /// </summary>
    private async Task<(string Subject, string Body)> DeliveryFailureAsync(MessageRow message, bool failed, bool en, CancellationToken cancellationToken)
    {
        var recipients = await messages.GetRecipientsAsync(message.Id, cancellationToken);
        string Reply(string? reply) => Policies.Detectors.SensitiveNumbers.Mask(reply ?? message.LastError ?? "");
        var refused = recipients.Where(r => r.Status != RecipientStatus.Accepted).Select(r => $"  ・{r.Address}: {Reply(r.SmtpReply)}").ToList();
        var delivered = recipients.Where(r => r.Status == RecipientStatus.Accepted).Select(r => $"  ・{r.Address}").ToList();
        var none = en ? "  (none)" : "  （なし）";
        return en
            ? ($"{(failed ? "[Not delivered]" : "[Not delivered to some recipients]")} {message.Subject}", $"""
               Your mail "{message.Subject}" ({message.Id}) {(failed ? "could not be delivered and will not be tried again" : "was delivered, but some recipients' servers refused it")}.

               Not delivered to:
               {(refused.Count > 0 ? string.Join("\n", refused) : none)}

               Delivered to:
               {(delivered.Count > 0 ? string.Join("\n", delivered) : none)}

               Check the addresses, then send the mail again to those it did not reach.
               """)
            : ($"{(failed ? "【配信できませんでした】" : "【一部の宛先に配信できませんでした】")}{message.Subject}", $"""
               送信したメール「{message.Subject}」（{message.Id}）は{(failed ? "配信できませんでした。再試行は行いません。" : "配信されましたが、一部の宛先のメールサーバーに受け取りを拒否されました。")}

               配信できなかった宛先：
               {(refused.Count > 0 ? string.Join("\n", refused) : none)}

               配信された宛先：
               {(delivered.Count > 0 ? string.Join("\n", delivered) : none)}

               宛先をご確認のうえ、届かなかった宛先にあらためて送信してください。
               """);
    }

    private async Task<OutgoingMessage?> ComposeAsync(NotificationRow row, CancellationToken cancellationToken)
    {
        var settings = (await policies.GetSnapshotAsync(row.TenantId, cancellationToken)).Settings;
        if (row.Kind == NotificationKind.SignInLink)
        {
            var (signInSubject, signInBody) = await consoleMails.SignInAsync(row, settings, cancellationToken);
            return Mail(row, signInSubject, signInBody);
        }

        var message = row.MessageId is null ? null : await messages.GetByIdAsync(row.MessageId, cancellationToken);
        var request = row.ApprovalId is null ? null : await approvals.GetAsync(row.TenantId, row.ApprovalId, cancellationToken);
        if (message is null)
        {
            return null;
        }

        if (row.Kind == NotificationKind.LinkCode)
        {
            var code = Links.LinkTemplates.CodeMail(settings.Language, Policies.Detectors.SensitiveNumbers.Mask(message.Subject), linkCodes.CodeOf(row.Data ?? "{}"));
            return Mail(row, code.Subject, code.Body);
        }

        if (row.Kind == NotificationKind.LinkDownloaded)
        {
            var d = JsonDocument.Parse(row.Data ?? "{}").RootElement;
            string? Text(string name) => d.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;
            var downloaded = Links.LinkTemplates.FirstDownloadMail(settings.Language, Policies.Detectors.SensitiveNumbers.Mask(message.Subject), Text("fileName") ?? "",
                Text("address"), Text("ip"), settings.LocalTime(Clock.FromMs(d.TryGetProperty("at", out var at) ? at.GetInt64() : time.NowMs())));
            return Mail(row, downloaded.Subject, downloaded.Body);
        }

        if (row.Kind == NotificationKind.HoldNotice)
        {
            return await consoleMails.HoldNoticeAsync(row, message, settings, cancellationToken) is { } notice ? Mail(row, notice.Subject, notice.Body) : null;
        }

        var en = settings.Language == "en";
        // What SendGate writes shows numbers as the policy evidence does; only the mail itself carries them.
        message = message with { Subject = Policies.Detectors.SensitiveNumbers.Mask(message.Subject) };
        string subject, body;
        if (row.Kind is NotificationKind.ApprovalRequest or NotificationKind.ApprovalReminder)
        {
            var level = JsonDocument.Parse(row.Data ?? "{}").RootElement.TryGetProperty("level", out var l) ? l.GetInt32() : 0;
            // Nobody is asked to approve their own mail, even by a notification queued before the rule existed.
            if (request is not { Status: ApprovalStatus.Pending } || request.Level != level
                || ApprovalRoutes.SendersOf(message.EnvelopeFrom, message.HeaderFrom).Contains(row.Recipient.ToLowerInvariant()))
            {
                return null;
            }

            var token = await store.CreateTokenAsync(request.Id, request.TenantId, row.Recipient, request.Level, request.DueAt, time.NowMs());
            var link = $"{options.Value.PublicBaseUrl.TrimEnd('/')}/approve/{token}";
            var summary = await SummaryAsync(message, settings, en, cancellationToken);
            var due = settings.LocalTime(Clock.FromMs(request.DueAt));
            var reminder = row.Kind == NotificationKind.ApprovalReminder;
            subject = en
                ? $"{(reminder ? "[Reminder] " : "")}[Approval needed] {message.Subject}"
                : $"【{(reminder ? "承認依頼・再通知" : "承認依頼")}】{message.Subject}";
            body = en
                ? $"""
                  {row.Recipient}

                  The mail below needs your approval before it is sent.

                  {summary}
                  Decide by: {due.ToString("yyyy-MM-dd HH:mm (zzz)", CultureInfo.InvariantCulture)} — after that it is {OnTimeoutEn(request.OnTimeout)}.

                  Approve or reject here (a confirmation page opens first):
                  {link}

                  This link is for you only and works once.
                  """
                : $"""
                  {row.Recipient} 様

                  次のメールの送信には、あなたの承認が必要です。

                  {summary}
                  期限：{due.ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture)}（期限を過ぎると{OnTimeoutJa(request.OnTimeout)}）

                  承認・却下はこちらから（確認画面が開きます）：
                  {link}

                  このリンクはあなた専用で、一度だけ使えます。
                  """;
        }
        else if (JsonDocument.Parse(row.Data ?? "{}").RootElement.TryGetProperty("outcome", out var failure) && failure.GetString() is "failed" or "refused")
        {
            (subject, body) = await DeliveryFailureAsync(message, failure.GetString() == "failed", en, cancellationToken);
        }
        else
        {
            var data = JsonDocument.Parse(row.Data ?? "{}").RootElement;
            var outcome = data.TryGetProperty("outcome", out var o) ? o.GetString() : "";
            var by = data.TryGetProperty("by", out var b) ? b.GetString() : "";
            var comment = data.TryGetProperty("comment", out var c) ? Policies.Detectors.SensitiveNumbers.MaskOrNull(c.GetString()) : null;
            var escalated = outcome == "escalated";
            (subject, body) = en
                ? (outcome switch
                {
                    "approved" => $"[Approved] {message.Subject}",
                    "released" => $"[Sent without approval] {message.Subject}",
                    "expired" => $"[Not approved in time] {message.Subject}",
                    "escalated" => $"[Passed on for approval] {message.Subject}",
                    _ => $"[Rejected] {message.Subject}",
                }, $"""
                   Your mail "{message.Subject}" ({message.Id}) {outcome switch { "approved" => "was approved", "released" => "was released without a decision, as the rule says", "expired" => "was not approved in time and is not sent", "escalated" => "had no decision in time and now waits for the next approver", _ => "was rejected and is not sent" }}.
                   {(escalated ? "Passed on to" : "By")}: {by}
                   {(string.IsNullOrWhiteSpace(comment) ? "" : $"Comment: {comment}")}
                   """)
                : (outcome switch
                {
                    "approved" => $"【承認されました】{message.Subject}",
                    "released" => $"【承認なしで送信されます】{message.Subject}",
                    "expired" => $"【承認期限切れ】{message.Subject}",
                    "escalated" => $"【承認者を変更しました】{message.Subject}",
                    _ => $"【却下されました】{message.Subject}",
                }, $"""
                   送信したメール「{message.Subject}」（{message.Id}）は{outcome switch { "approved" => "承認されました。", "released" => "期限までに判断がなかったため、ルールに従い送信されます。", "expired" => "期限までに承認されなかったため、送信されません。", "escalated" => "期限までに判断がなかったため、次の承認者に回付されました。引き続き承認待ちです。", _ => "却下されたため、送信されません。" }}
                   {(escalated ? "回付先" : "判断者")}：{by}
                   {(string.IsNullOrWhiteSpace(comment) ? "" : $"コメント：{comment}")}
                   """);
        }

        return Mail(row, subject, body);
    }

    private OutgoingMessage Mail(NotificationRow row, string subject, string body)
    {
        var from = MailboxAddress.Parse(options.Value.From);
        var mime = new MimeMessage { Subject = subject, Date = time.GetUtcNow(), MessageId = Mime.MessageIntake.NewMessageIdHeader(row.Id, from.Address) };
        mime.From.Add(from);
        mime.To.Add(MailboxAddress.Parse(row.Recipient));
        mime.Body = new TextPart("plain") { Text = body };
        return new OutgoingMessage(row.Id, row.TenantId, mime, from, [MailboxAddress.Parse(row.Recipient)]);
    }

    // The mail carries the beginning only; GET /v1/approvals/{id} has up to 4,000 characters.
    private const int MailPreviewLength = 1000;

    /// <summary>From, recipients (external ones marked), subject, attachments, the rules that asked for approval, and the beginning of the body.</summary>
    private async Task<string> SummaryAsync(MessageRow message, TenantSettings settings, bool en, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        text.AppendLine(en ? $"From:        {message.HeaderFrom}" : $"差出人：{message.HeaderFrom}");
        text.AppendLine(en ? $"Subject:     {message.Subject}" : $"件名　：{message.Subject}");
        text.AppendLine(en ? "Recipients:" : "宛先　：");
        foreach (var r in await messages.GetRecipientsAsync(message.Id, cancellationToken))
        {
            var external = !DomainMatch.Covers(settings.InternalDomains, MessageFacts.DomainOf(r.Address));
            text.AppendLine($"  {r.Kind.ToUpperInvariant()}: {r.Address}{(external ? en ? "  (external)" : "（社外）" : "")}");
        }

        string? preview = null;
        await using (var content = await messages.OpenContentAsync(message.Id, cancellationToken))
        {
            var mime = content is null ? null : MimeMessage.Load(content, persistent: true);
            var attachments = mime is null ? [] : mime.Attachments.OfType<MimePart>().Select(p => new AttachmentFact(p)).ToList();
            if (attachments.Count > 0)
            {
                text.AppendLine(en ? "Attachments:" : "添付　：");
                foreach (var a in attachments)
                {
                    text.AppendLine(string.Create(CultureInfo.InvariantCulture, $"  {a.FileName} ({Math.Max(1, a.Size / 1024)} KB)"));
                }
            }

            preview = mime is null ? null : Approvals.BodyPreview.Of(mime, MailPreviewLength);
        }

        var decision = PolicyDecisions.Read(message.Decisions);
        text.AppendLine(en ? "Why approval is needed:" : "承認が必要な理由：");
        foreach (var rule in decision?.Rules ?? [])
        {
            // The conditions in the approver's language (the engine's Detail is English for the API), with what made them true, masked.
            text.AppendLine($"  ・{rule.Name}{Policies.ConditionLabels.AfterRuleName(rule.Conditions, en)}");
        }

        if (preview is not null)
        {
            // Indented, so that the approver tells the mail under review from this one.
            text.AppendLine(en ? "Body (beginning):" : "本文（冒頭）：");
            foreach (var line in preview.Split('\n'))
            {
                text.AppendLine($"  | {line}");
            }
        }

        return text.ToString();
    }

    private static string OnTimeoutEn(string onTimeout) => onTimeout switch
    {
        "release" => "sent without approval",
        "escalate" => "passed on to the next approver",
        _ => "rejected",
    };

    private static string OnTimeoutJa(string onTimeout) => onTimeout switch
    {
        "release" => "承認なしで送信されます",
        "escalate" => "次の承認者に回ります",
        _ => "却下されます",
    };
}
