using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using SendGate.Core.Approvals;
using SendGate.Core.Messages;
using SendGate.Core.Notifications;
using SendGate.Core.Policies;

namespace SendGate.Core.ReviewConsole;

/// <summary>
/// The two mails that bring people to the console: a sign-in link, and the hold notice that tells
/// a sender why her mail waits and opens exactly that mail. Each link's token is made here, when
/// the mail is written, so the queue never holds one that works.
/// </summary>
public sealed class ConsoleMails(ConsoleLinks links, ConsolePeople people, ApprovalStore approvals, TimeProvider time,
    IOptions<ConsoleOptions> options, IOptions<NotificationOptions> notifications)
{
    private string Base => notifications.Value.PublicBaseUrl.TrimEnd('/');

    /// <summary>The person's own language on the console, else the tenant's.</summary>
    public async Task<bool> EnglishForAsync(string tenantId, string address, TenantSettings settings, CancellationToken cancellationToken) =>
        ((await people.GetAsync(tenantId, address, cancellationToken))?.Language ?? settings.Language) == "en";

    public async Task<(string Subject, string Body)> SignInAsync(NotificationRow row, TenantSettings settings, CancellationToken cancellationToken)
    {
        var lifetime = options.Value.SignInLinkLifetime;
        var expires = time.GetUtcNow() + lifetime;
        var token = await links.CreateAsync(row.TenantId, row.Recipient, null, expires.ToUnixTimeMilliseconds(), cancellationToken);
        var link = $"{Base}/console/link/{token}";
        var minutes = (int)Math.Round(lifetime.TotalMinutes);
        var until = settings.LocalTime(expires).ToString("HH:mm", CultureInfo.InvariantCulture);
        return await EnglishForAsync(row.TenantId, row.Recipient, settings, cancellationToken)
            ? ("Sign in to SendGate", $"""
                Someone (hopefully you) asked to sign in to the SendGate console as {row.Recipient}.

                Sign in here (a page with a button opens first):
                {link}

                The link works once, for {minutes} minutes (until {until}). If you did not ask for it, ignore this mail: nothing happens.
                """)
            : ("SendGate へのサインイン", $"""
                {row.Recipient} として SendGate の管理画面へのサインインが要求されました。

                こちらからサインインしてください（ボタンのある画面が開きます）：
                {link}

                このリンクは一度だけ、{minutes}分間（{until}まで）使えます。心当たりがない場合はこのメールを無視してください。何も起こりません。
                """);
    }

    /// <summary>Null when the mail no longer waits (released, sent or cancelled before the notice went out).</summary>
    public async Task<(string Subject, string Body)?> HoldNoticeAsync(NotificationRow row, MessageRow message, TenantSettings settings, CancellationToken cancellationToken)
    {
        if (message.Status is not (MessageStatus.Held or MessageStatus.AwaitingApproval))
        {
            return null;
        }

        var decision = PolicyDecisions.Read(message.Decisions);
        var en = await EnglishForAsync(row.TenantId, row.Recipient, settings, cancellationToken);
        var now = time.GetUtcNow();
        DateTimeOffset? leaves = message.Status == MessageStatus.Held && message.HoldMode == HoldModes.AutoRelease ? Clock.FromMs(message.ReleaseAt) : null;
        DateTimeOffset? ends = message.Status == MessageStatus.Held ? Clock.FromMs(message.ReleaseAt) : null;
        ApprovalRequestRow? request = null;
        if (message.Status == MessageStatus.AwaitingApproval)
        {
            request = await approvals.GetByMessageAsync(message.Id, cancellationToken) is { Status: ApprovalStatus.Pending } pending ? pending : null;
            ends = request is null ? null : Clock.FromMs(request.DueAt);
        }

        // The link lasts while the mail waits (a day beyond, to see what became of it), never longer than the setting.
        var linkEnds = ends is { } e && e + TimeSpan.FromDays(1) < now + options.Value.HoldNoticeLinkLifetime ? e + TimeSpan.FromDays(1) : now + options.Value.HoldNoticeLinkLifetime;
        var token = await links.CreateAsync(row.TenantId, row.Recipient, message.Id, linkEnds.ToUnixTimeMilliseconds(), cancellationToken);
        var link = $"{Base}/console/link/{token}";
        string When(DateTimeOffset at) => en
            ? settings.LocalTime(at).ToString("yyyy-MM-dd HH:mm (zzz)", CultureInfo.InvariantCulture)
            : settings.LocalTime(at).ToString("yyyy年M月d日 HH:mm", CultureInfo.InvariantCulture);

        var why = new StringBuilder();
        foreach (var rule in decision?.Rules ?? [])
        {
            // The rule's name as the tenant wrote it; its conditions in the recipient's language, not the engine's English.
            why.AppendLine($"  ・{rule.Name}{Policies.ConditionLabels.AfterRuleName(rule.Conditions, en)}");
        }

        var subject = Policies.Detectors.SensitiveNumbers.Mask(message.Subject);
        string state;
        if (en)
        {
            state = message.Status == MessageStatus.AwaitingApproval
                ? $"It waits for approval{(request is null ? "" : $" by {string.Join(", ", ApprovalService.LevelAt(request.Route, request.Level)?.Approvers ?? [])} until {When(Clock.FromMs(request.DueAt))}")}."
                : message.HoldMode switch
                {
                    HoldModes.AutoRelease when leaves is { } l => $"It leaves on its own at {When(l)} unless you cancel it.",
                    HoldModes.SelfAudit when ends is { } d => $"Check it and send it yourself: if you do nothing by {When(d)}, it is discarded and not sent.",
                    _ => "It is not sent until it has been checked on the console.",
                };
            return ($"[Held] {subject}", $"""
                Your mail "{subject}" is held by SendGate and has not been sent.
                {state}

                Why:
                {why}
                Check it, send it now or cancel it here (it opens this mail only):
                {link}
                """);
        }

        state = message.Status == MessageStatus.AwaitingApproval
            ? $"承認待ちです{(request is null ? "" : $"（承認者：{string.Join("、", ApprovalService.LevelAt(request.Route, request.Level)?.Approvers ?? [])}、期限：{When(Clock.FromMs(request.DueAt))}）")}。"
            : message.HoldMode switch
            {
                HoldModes.AutoRelease when leaves is { } l => $"取り消さなければ {When(l)} に自動で送信されます。",
                HoldModes.SelfAudit when ends is { } d => $"内容を確認してご自身で送信してください。{When(d)} までに操作がなければ破棄され、送信されません。",
                _ => "管理画面で内容を確認するまで送信されません。",
            };
        return ($"【保留中】{subject}", $"""
            送信したメール「{subject}」は SendGate で保留され、まだ送信されていません。
            {state}

            理由：
            {why}
            こちらで内容を確認し、すぐに送信するか取り消してください（このメールだけが開きます）：
            {link}
            """);
    }
}
