using System.Globalization;
using System.Xml;
using Microsoft.Extensions.Localization;
using SendGate.Core.Policies;

namespace SendGate.Api.ReviewConsole;

/// <summary>
/// What the policy decided, in the person's language: built from the decision's fields (the
/// engine's own <see cref="PolicyDecision.Reasons"/> are English sentences for the API), with the
/// rule names as the tenant wrote them.
/// </summary>
internal static class DecisionText
{
    /// <summary>One line per effect: rejection, approval, hold, zip, download link, Bcc.</summary>
    public static IReadOnlyList<string> Outcomes(PolicyDecision decision, IStringLocalizer t, ConsoleViewer viewer)
    {
        var lines = new List<string>();
        if (decision.Rejection is { } r)
        {
            lines.Add(t["Outcome_Rejected", r.RuleName, r.Reason]);
        }

        if (decision.Approval is { } a)
        {
            lines.Add(t["Outcome_Approval", Duration(a.Timeout, t), t["OnTimeout_" + a.OnTimeout], a.RuleName]);
        }

        if (decision.Hold is { } h)
        {
            var hold = h.Source == "sendAt" && h.SendAt is { } at
                ? t["Outcome_SendAt", viewer.Time(at)].Value
                : t["Outcome_Hold_" + h.Mode, h.Duration is { } d ? Duration(d, t) : "", h.RuleName ?? ""].Value;
            lines.Add(h.AfterApproval ? t["Outcome_AfterApproval", hold] : hold);
        }

        if (decision.Encryption is { } e)
        {
            lines.Add(t["Outcome_Zip", e.Attachments.Count, e.RuleName]);
        }

        if (decision.Link is { } l)
        {
            lines.Add(t["Outcome_Link", l.Attachments.Count, Duration(l.Expiry, t), l.RuleName]);
        }

        if (decision.Bcc is { } b)
        {
            lines.Add(t["Outcome_Bcc", b.Addresses.Count, b.RuleName]);
        }

        if (lines.Count == 0 && decision.Status == SendGate.Core.Messages.MessageStatus.Queued)
        {
            lines.Add(t["Outcome_Queued"]);
        }

        return lines;
    }

    /// <summary>A condition that held, in the viewer's language (<see cref="ConditionLabels"/>: the same words as the hold notice mail).</summary>
    public static string Condition(ConditionMatch match) =>
        ConditionLabels.Describe(match, english: !CultureInfo.CurrentUICulture.Name.StartsWith("ja", StringComparison.Ordinal));

    /// <summary>An ISO 8601 duration (<c>PT1H30M</c>) in words: "1時間30分", "1 hour(s) 30 minute(s)".</summary>
    public static string Duration(string iso, IStringLocalizer t)
    {
        TimeSpan value;
        try
        {
            value = XmlConvert.ToTimeSpan(iso);
        }
        catch (FormatException)
        {
            return iso;
        }

        var parts = new List<string>();
        void Add(int n, string unit)
        {
            if (n > 0)
            {
                parts.Add(t[unit, n.ToString(CultureInfo.InvariantCulture)]);
            }
        }

        Add(value.Days, "Duration_Days");
        Add(value.Hours, "Duration_Hours");
        Add(value.Minutes, "Duration_Minutes");
        Add(value.Seconds, "Duration_Seconds");
        var separator = CultureInfo.CurrentUICulture.Name == "en" ? " " : "";
        return parts.Count == 0 ? t["Duration_Minutes", "0"] : string.Join(separator, parts);
    }
}
