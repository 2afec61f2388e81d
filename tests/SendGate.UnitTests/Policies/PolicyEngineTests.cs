using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core;
using SendGate.Core.Mime;
using SendGate.Core.Policies;
using SendGate.Core.Messages;

namespace SendGate.UnitTests.Policies;

/// <summary>The engine's combination rules and the outgoing rewrite, without a host.</summary>
public sealed class PolicyEngineTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private static MessageFacts Facts(MessageRequest request) =>
        new(new MessageIntake(Options.Create(new LimitsOptions()), TimeProvider.System).FromJson(request, "msg_test").Message!);

    private static readonly MessageRequest Simple = new() { From = "a@example.co.jp", To = ["b@partner.jp"], Subject = "s", Text = "t" };

    private static CompiledPolicy Compile(params RuleSpec[] rules)
    {
        var (policy, violations) = PolicyCompiler.Compile(new PolicyDocument { Rules = rules }, 3);
        Assert.Empty(violations);
        return policy!;
    }

    private static RuleSpec Rule(string id, params ActionSpec[] actions) => new() { Id = id, Name = id, Actions = actions };

    [Fact]
    public void On_equal_length_self_audit_wins_over_auto_release()
    {
        var policy = Compile(
            Rule("auto", new ActionSpec { Type = "hold", Duration = "PT10M" }),
            Rule("self", new ActionSpec { Type = "hold", Duration = "PT10M", Mode = "selfAudit" }));
        var decision = PolicyEngine.Evaluate(policy, TenantSettings.Empty, KnownDomainSet.Empty, Facts(Simple), null, Now);
        Assert.Equal("selfAudit", decision.Hold!.Mode);
        Assert.Equal(Now.AddMinutes(10), decision.ReleaseAt);
        Assert.Equal(3, decision.PolicyVersion);
    }

    [Fact]
    public void A_review_hold_is_not_lengthened_or_shortened_by_sendAt()
    {
        var policy = Compile(Rule("review", new ActionSpec { Type = "hold", Mode = "review" }));
        var decision = PolicyEngine.Evaluate(policy, TenantSettings.Empty, KnownDomainSet.Empty, Facts(Simple), Now.AddDays(1), Now);
        Assert.Equal("held", decision.Status);
        Assert.Null(decision.ReleaseAt);
        Assert.Equal(Now.AddDays(1), decision.Hold!.SendAt);
    }

    [Fact]
    public void With_approval_a_sendAt_is_kept_for_after_the_approval()
    {
        var policy = Compile(Rule("approve", new ActionSpec { Type = "requireApproval" }));
        var decision = PolicyEngine.Evaluate(policy, TenantSettings.Empty, KnownDomainSet.Empty, Facts(Simple), Now.AddHours(2), Now);
        Assert.Equal("awaiting_approval", decision.Status);
        Assert.Equal("P1D", decision.Approval!.Timeout);
        Assert.True(decision.Hold!.AfterApproval);
        Assert.Equal("sendAt", decision.Hold.Source);
        Assert.Null(decision.ReleaseAt);
    }

    [Fact]
    public void No_policy_queues_and_says_so()
    {
        var decision = PolicyEngine.Evaluate(null, TenantSettings.Empty, KnownDomainSet.Empty, Facts(Simple), null, Now);
        Assert.Equal("queued", decision.Status);
        Assert.Null(decision.PolicyVersion);
        Assert.Single(decision.Reasons);
    }

    [Fact]
    public void Evaluation_is_deterministic()
    {
        var policy = Compile(
            Rule("hold", new ActionSpec { Type = "hold", Duration = "PT5M" }),
            Rule("tag", new ActionSpec { Type = "tag", Tags = ["x", "y"] }));
        var first = PolicyEngine.Evaluate(policy, TenantSettings.Empty, KnownDomainSet.Empty, Facts(Simple), null, Now);
        var second = PolicyEngine.Evaluate(policy, TenantSettings.Empty, KnownDomainSet.Empty, Facts(Simple), null, Now);
        Assert.Equal(System.Text.Json.JsonSerializer.Serialize(first), System.Text.Json.JsonSerializer.Serialize(second));
    }

    [Theory]
    [InlineData("PT5M", "5 minutes")]
    [InlineData("PT1H30M", "1 hour 30 minutes")]
    [InlineData("P1DT2H", "1 day 2 hours")]
    public void Durations_read_as_people_say_them(string iso, string human) =>
        Assert.Equal(human, PolicyEngine.Human(System.Xml.XmlConvert.ToTimeSpan(iso)));

    [Fact]
    public void Bcc_rewrite_empties_groups_and_keeps_other_recipients()
    {
        var message = new MimeMessage();
        message.From.Add(MailboxAddress.Parse("me@example.co.jp"));
        message.To.Add(new GroupAddress("customers", [MailboxAddress.Parse("a@one.jp"), MailboxAddress.Parse("b@two.jp")]));
        message.Cc.Add(MailboxAddress.Parse("colleague@example.co.jp"));
        var decision = new PolicyDecision
        {
            Bcc = new BccDecision("r", "r", ["a@one.jp", "B@TWO.JP"], "sender"),
            Headers = [new HeaderDecision("X-Checked", "yes", "r")],
        };

        OutgoingRewrite.Apply(message, decision);

        Assert.Equal(["me@example.co.jp"], message.To.Mailboxes.Select(m => m.Address));
        Assert.Equal(["colleague@example.co.jp"], message.Cc.Mailboxes.Select(m => m.Address));
        Assert.Equal("yes", message.Headers["X-Checked"]);
    }

    [Fact]
    public void Decisions_stored_before_policies_read_as_none() =>
        Assert.Null(PolicyDecisions.Read("""[{"source":"default","action":"send","reason":"queued"}]"""));
}
