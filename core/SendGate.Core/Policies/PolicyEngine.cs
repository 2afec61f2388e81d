using System.Globalization;
using SendGate.Core.Messages;

namespace SendGate.Core.Policies;

/// <summary>
/// Evaluates a compiled policy against one message and combines what the matching rules ask for.
/// Precedence: reject beats approval beats hold; of several holds the longest wins (a review hold
/// has no end, so it is the longest; on equal length review, then self-audit, then auto-release);
/// a requested <c>sendAt</c> can lengthen a hold but never shorten it. Bcc conversion, encryption,
/// headers and tags compose with all of these. Where only one rule can have its way (approval
/// route, encryption options, link options, Bcc conversion), the first matching rule in policy
/// order decides. A download link wins over encryption: when some rule replaces the attachments
/// by a link, every <c>encryptAttachments</c> is superseded and encrypted zips are linked as they are.
/// Pure and synchronous: the same inputs always give the same decision (dry run = submission).
/// </summary>
public static class PolicyEngine
{
    public static PolicyDecision Evaluate(CompiledPolicy? policy, TenantSettings settings, KnownDomainSet known, MessageFacts facts,
        DateTimeOffset? sendAt, DateTimeOffset now, SenderHistory? sender = null, CompanyLookup? companies = null)
    {
        var context = new EvaluationContext(facts, settings, known, sender, companies);
        var matched = new List<(CompiledRule Rule, List<ConditionMatch> Conditions)>();
        foreach (var rule in policy?.Rules ?? [])
        {
            if (!rule.Enabled)
            {
                continue;
            }

            var conditions = new List<ConditionMatch>();
            if (rule.Scope is { } scope)
            {
                if (SenderCondition.Matches(context, facts.Sender, scope.Addresses, scope.Domains, scope.Groups) is not { } why)
                {
                    continue;
                }

                conditions.Add(new ConditionMatch("senders", "senders", $"sender {facts.Sender} {why}", [facts.Sender]));
            }

            if (rule.Conditions is not null && !rule.Conditions.Evaluate(context, conditions))
            {
                continue;
            }

            matched.Add((rule, conditions));
            if (rule.StopProcessing)
            {
                break;
            }
        }

        return new Combiner(policy?.Version, matched, facts, context, sendAt?.ToUniversalTime(), now).Decide();
    }

    private sealed class Combiner(
        int? version, List<(CompiledRule Rule, List<ConditionMatch> Conditions)> matched, MessageFacts facts, EvaluationContext context,
        DateTimeOffset? sendAt, DateTimeOffset now)
    {
        private readonly Dictionary<(CompiledRule, int), ActionResult> _effects = [];
        private readonly List<string> _reasons = [];
        private bool _rejected;

        public PolicyDecision Decide()
        {
            var actions = matched.SelectMany(m => m.Rule.Actions.Select((a, i) => (m.Rule, Index: i, Action: a))).ToList();

            var rejects = actions.Where(a => a.Action is RejectAction).ToList();
            RejectionDecision? rejection = null;
            if (rejects.Count > 0)
            {
                var (rule, index, action) = rejects[0];
                rejection = new RejectionDecision(rule.Id, rule.Name, ((RejectAction)action).Reason);
                Set(rule, index, ActionEffects.Applied, $"rejected: {rejection.Reason}");
                foreach (var other in rejects.Skip(1))
                {
                    Set(other.Rule, other.Index, ActionEffects.Applied, "also rejects");
                }

                _reasons.Add($"Rejected by rule '{rule.Name}': {rejection.Reason}");
            }

            var approvals = actions.Where(a => a.Action is ApprovalAction).ToList();
            ApprovalDecision? approval = null;
            if (approvals.Count > 0)
            {
                var (rule, index, action) = approvals[0];
                var a = (ApprovalAction)action;
                approval = new ApprovalDecision(rule.Id, rule.Name, a.Route, Iso(a.Timeout), a.OnTimeout, a.ReminderBefore is { } r ? Iso(r) : null, a.Notice);
                foreach (var other in approvals.Skip(1))
                {
                    Set(other.Rule, other.Index, ActionEffects.Superseded, $"the approval of rule '{rule.Name}' applies (first in order)");
                }

                if (rejection is null)
                {
                    Set(rule, index, ActionEffects.Applied, $"approval by route '{a.Route}', timeout {Iso(a.Timeout)}, then {a.OnTimeout}");
                    _reasons.Add($"Needs approval (route '{a.Route}', within {Human(a.Timeout)}, otherwise {a.OnTimeout}): rule '{rule.Name}'");
                }
            }

            _rejected = rejection is not null;
            var hold = ChooseHold(actions.Where(a => a.Action is HoldAction).ToList(), approval is not null, rejection is not null);
            var bcc = ChooseBcc(actions.Where(a => a.Action is BccAction).ToList());
            var link = ChooseLink(actions.Where(a => a.Action is LinkAction).ToList());
            var encryption = ChooseEncryption(actions.Where(a => a.Action is EncryptAction).ToList(), link);

            var headers = new List<HeaderDecision>();
            foreach (var (rule, index, action) in actions.Where(a => a.Action is HeaderAction))
            {
                var h = (HeaderAction)action;
                headers.Add(new HeaderDecision(h.Name, h.Value, rule.Id));
                Set(rule, index, ActionEffects.Applied, $"adds {h.Name}: {h.Value}");
            }

            var tags = new List<string>();
            foreach (var (rule, index, action) in actions.Where(a => a.Action is TagAction))
            {
                var t = (TagAction)action;
                tags.AddRange(t.Tags.Where(tag => !tags.Contains(tag, StringComparer.Ordinal)));
                Set(rule, index, ActionEffects.Applied, $"tags {string.Join(", ", t.Tags)}");
            }

            if (rejection is not null)
            {
                // Nothing will be sent: everything but the record (tags) is moot.
                foreach (var (rule, index, action) in actions.Where(a => a.Action is not (RejectAction or TagAction)))
                {
                    Set(rule, index, ActionEffects.Superseded, $"the message is rejected by rule '{rejection.RuleName}'");
                }

                (hold, bcc, encryption, link, headers) = (null, null, null, null, []);
            }

            var status = rejection is not null ? MessageStatus.Rejected
                : approval is not null ? MessageStatus.AwaitingApproval
                : hold is not null ? MessageStatus.Held
                : MessageStatus.Queued;
            if (matched.Count == 0)
            {
                _reasons.Add(status == MessageStatus.Held ? "No rule matched." : "No rule matched; queued for delivery.");
            }
            else if (status == MessageStatus.Queued)
            {
                _reasons.Add("No rule holds, rejects or needs approval; queued for delivery.");
            }

            return new PolicyDecision
            {
                PolicyVersion = version,
                Status = status,
                ReleaseAt = status == MessageStatus.Held ? hold!.Until : null,
                Rejection = rejection,
                Approval = rejection is null ? approval : null,
                Hold = hold,
                Encryption = encryption,
                Link = link,
                Bcc = bcc,
                Headers = headers,
                Tags = tags,
                Rules = matched.Select(m => new RuleMatch(m.Rule.Id, m.Rule.Name, m.Rule.Version, m.Conditions,
                    m.Rule.Actions.Select((a, i) => _effects.TryGetValue((m.Rule, i), out var e) ? e : new ActionResult(a.Type, ActionEffects.Applied, "")).ToList(),
                    m.Rule.StopProcessing)).ToList(),
                Reasons = _reasons,
            };
        }

        private HoldDecision? ChooseHold(List<(CompiledRule Rule, int Index, CompiledAction Action)> holds, bool afterApproval, bool rejected)
        {
            (CompiledRule Rule, int Index, HoldAction Hold)? best = null;
            foreach (var (rule, index, action) in holds)
            {
                var h = (HoldAction)action;
                if (best is null || Longer(h, best.Value.Hold))
                {
                    best = (rule, index, h);
                }
            }

            foreach (var (rule, index, action) in holds)
            {
                if (best is { } b && (b.Rule != rule || b.Index != index))
                {
                    Set(rule, index, ActionEffects.Superseded, $"the longer hold of rule '{b.Rule.Name}' applies");
                }
            }

            if (best is not { } chosen)
            {
                // No policy hold: a future sendAt holds the message on its own.
                if (sendAt is { } at && at > now)
                {
                    if (!rejected)
                    {
                        _reasons.Add(afterApproval
                            ? $"Once approved, held until the requested send time {Rfc3339.Format(at)}."
                            : $"Held until the requested send time {Rfc3339.Format(at)}.");
                    }

                    return new HoldDecision(HoldModes.AutoRelease, null, afterApproval ? null : at, "sendAt", null, null, afterApproval, false, at);
                }

                return null;
            }

            var (holdRule, holdIndex, hold) = chosen;
            DateTimeOffset? until = null;
            var lengthened = false;
            if (hold.Duration is { } duration && !afterApproval)
            {
                until = now + duration;
                if (sendAt is { } at && at > until)
                {
                    (until, lengthened) = (at, true);
                }
            }

            var what = hold.Mode switch
            {
                HoldModes.Review => "held until a reviewer or the sender releases it",
                HoldModes.SelfAudit => $"held {Human(hold.Duration!.Value)} for the sender's own check; discarded unless released before the end",
                _ => $"held {Human(hold.Duration!.Value)}, then sent unless cancelled",
            };
            if (afterApproval)
            {
                what = $"once approved, {what}";
            }
            else if (until is { } end)
            {
                what += $" (until {Rfc3339.Format(end)}{(lengthened ? ", lengthened to the requested send time" : "")})";
            }

            if (!rejected)
            {
                Set(holdRule, holdIndex, ActionEffects.Applied, what);
                _reasons.Add($"{char.ToUpperInvariant(what[0])}{what[1..]}: rule '{holdRule.Name}'");
            }

            return new HoldDecision(hold.Mode, hold.Duration is { } d ? Iso(d) : null, until, "rule", holdRule.Id, holdRule.Name, afterApproval, lengthened, sendAt, hold.Notice);
        }

        private static bool Longer(HoldAction candidate, HoldAction current)
        {
            var a = candidate.Duration ?? TimeSpan.MaxValue;
            var b = current.Duration ?? TimeSpan.MaxValue;
            return a != b ? a > b : Strictness(candidate.Mode) > Strictness(current.Mode);
        }

        private static int Strictness(string mode) => mode switch
        {
            HoldModes.Review => 2,
            HoldModes.SelfAudit => 1,
            _ => 0,
        };

        private BccDecision? ChooseBcc(List<(CompiledRule Rule, int Index, CompiledAction Action)> conversions)
        {
            var external = facts.Recipients
                .Where(r => r.Kind is RecipientKind.To or RecipientKind.Cc && !context.IsInternal(r.Domain))
                .Select(r => r.Address).ToList();
            BccDecision? chosen = null;
            foreach (var (rule, index, action) in conversions)
            {
                var b = (BccAction)action;
                if (chosen is not null)
                {
                    Set(rule, index, ActionEffects.Superseded, $"rule '{chosen.RuleName}' already converts");
                }
                else if (external.Count < b.Threshold)
                {
                    Set(rule, index, ActionEffects.NotApplicable, $"{external.Count} external To/Cc recipient(s), below the threshold of {b.Threshold}");
                }
                else
                {
                    chosen = new BccDecision(rule.Id, rule.Name, external, b.ReplaceTo);
                    Set(rule, index, ActionEffects.Applied, $"{external.Count} external To/Cc recipients move to Bcc (threshold {b.Threshold})");
                    Explain($"{external.Count} external To/Cc recipients are sent as Bcc: rule '{rule.Name}'");
                }
            }

            return chosen;
        }

        private LinkDecision? ChooseLink(List<(CompiledRule Rule, int Index, CompiledAction Action)> links)
        {
            LinkDecision? chosen = null;
            foreach (var (rule, index, action) in links)
            {
                var l = (LinkAction)action;
                if (chosen is not null)
                {
                    Set(rule, index, ActionEffects.Superseded, $"rule '{chosen.RuleName}' already sets the download link");
                    continue;
                }

                if (facts.Attachments.Count == 0)
                {
                    Set(rule, index, ActionEffects.NotApplicable, "the message has no attachment");
                    continue;
                }

                var files = facts.Attachments.Select(a => a.FileName).ToList();
                var zips = facts.Attachments.Where(a => a.EncryptedZip).Select(a => a.FileName).ToList();
                chosen = new LinkDecision(rule.Id, rule.Name, Iso(l.Expiry), l.MaxDownloadsPerFile, l.VerifyRecipient, l.PasswordMail,
                    l.NotifySenderOnFirstDownload, l.ExemptInternalRecipients, files, zips);
                var detail = $"{files.Count} attachment(s) replaced by a download link valid {Human(l.Expiry)} from delivery"
                    + (l.MaxDownloadsPerFile is { } max ? $", at most {max} download(s) per file" : "")
                    + (l.VerifyRecipient ? "; a recipient opens it with a one-time code mailed to their address" : "; anyone with the link opens it")
                    + (l.PasswordMail ? "; a password follows in a separate mail" : "")
                    + (l.ExemptInternalRecipients ? "; internal recipients get the attachments" : "")
                    + (zips.Count > 0 ? $"; already encrypted, linked as they are: {string.Join(", ", zips)}" : "");
                Set(rule, index, ActionEffects.Applied, detail);
                Explain($"Attachments are to be replaced by a download link ({detail}): rule '{rule.Name}'");
            }

            return chosen;
        }

        private EncryptionDecision? ChooseEncryption(List<(CompiledRule Rule, int Index, CompiledAction Action)> encryptions, LinkDecision? link)
        {
            EncryptionDecision? chosen = null;
            foreach (var (rule, index, action) in encryptions)
            {
                var e = (EncryptAction)action;
                if (link is not null)
                {
                    Set(rule, index, ActionEffects.Superseded, $"the download link of rule '{link.RuleName}' replaces the attachments (a link wins over encryption)");
                    if (rule == encryptions[0].Rule && index == encryptions[0].Index)
                    {
                        Explain($"No zip encryption (rule '{rule.Name}'): the download link of rule '{link.RuleName}' replaces the attachments instead");
                    }

                    continue;
                }

                if (chosen is not null)
                {
                    Set(rule, index, ActionEffects.Superseded, $"rule '{chosen.RuleName}' already sets the encryption");
                    continue;
                }

                var passThrough = e.AlreadyEncrypted == "passThrough"
                    ? facts.Attachments.Where(a => a.EncryptedZip).Select(a => a.FileName).ToList()
                    : [];
                var toEncrypt = facts.Attachments.Select(a => a.FileName).Except(passThrough, StringComparer.Ordinal).ToList();
                if (toEncrypt.Count == 0)
                {
                    Set(rule, index, ActionEffects.NotApplicable, passThrough.Count > 0
                        ? $"every attachment is already an encrypted zip ({string.Join(", ", passThrough)}); passed through"
                        : "the message has no attachment");
                    continue;
                }

                chosen = new EncryptionDecision(rule.Id, rule.Name, e.Method, e.NameEncoding, e.PasswordTo, Iso(e.PasswordDelay), e.AlreadyEncrypted,
                    e.SplitDelivery, toEncrypt, passThrough, e.PasswordLength, e.FileNameEncoding, e.Notice);
                var detail = $"{toEncrypt.Count} attachment(s) into one {e.Method} zip; password to the {(e.PasswordTo == "sender" ? "sender" : "recipients")} {Human(e.PasswordDelay)} after the mail"
                    + (passThrough.Count > 0 ? $"; already encrypted, passed through: {string.Join(", ", passThrough)}" : "");
                Set(rule, index, ActionEffects.Applied, detail);
                Explain($"Attachments are to be zip-encrypted ({detail}): rule '{rule.Name}'");
            }

            return chosen;
        }

        // A rejected message is not sent, so what would have been done to it is not a reason.
        private void Explain(string reason)
        {
            if (!_rejected)
            {
                _reasons.Add(reason);
            }
        }

        private void Set(CompiledRule rule, int index, string effect, string detail) =>
            _effects[(rule, index)] = new ActionResult(rule.Actions[index].Type, effect, detail);
    }

    internal static string Iso(TimeSpan value) => System.Xml.XmlConvert.ToString(value);

    /// <summary>"5 minutes", "4 hours", "1 day 2 hours": for the sentences people read.</summary>
    internal static string Human(TimeSpan value)
    {
        if (value == TimeSpan.Zero)
        {
            return "0 minutes";
        }

        var parts = new List<string>();
        void Add(int n, string unit)
        {
            if (n > 0)
            {
                parts.Add(string.Create(CultureInfo.InvariantCulture, $"{n} {unit}{(n == 1 ? "" : "s")}"));
            }
        }

        Add(value.Days, "day");
        Add(value.Hours, "hour");
        Add(value.Minutes, "minute");
        Add(value.Seconds, "second");
        return string.Join(" ", parts);
    }
}
