using ICSharpCode.SharpZipLib.Zip;
using Microsoft.Extensions.Options;
using SendGate.Core.Messages;
using SendGate.Core.Mime;
using SendGate.Core.Policies;

namespace SendGate.UnitTests.Policies;

/// <summary><c>replaceAttachmentsWithLink</c>: its options as validated, and how the engine combines it with encryption.</summary>
public sealed class LinkActionTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 28, 9, 0, 0, TimeSpan.Zero);

    private static MessageFacts Facts(params AttachmentRequest[] attachments) =>
        new(new MessageIntake(Options.Create(new LimitsOptions()), TimeProvider.System).FromJson(new MessageRequest
        {
            From = "a@example.co.jp", To = ["b@partner.jp"], Subject = "s", Text = "t", Attachments = attachments,
        }, "msg_test").Message!);

    private static AttachmentRequest File(string name, byte[] content) =>
        new() { Filename = name, ContentType = "application/octet-stream", Content = Base64Content.FromBytes(content) };

    private static byte[] EncryptedZip()
    {
        using var buffer = new MemoryStream();
        using (var zip = new ZipOutputStream(buffer) { Password = "secret-password" })
        {
            zip.PutNextEntry(new ZipEntry("inner.txt"));
            zip.Write("hello"u8);
        }

        return buffer.ToArray();
    }

    private static RuleSpec Rule(string id, params ActionSpec[] actions) => new() { Id = id, Name = id, Actions = actions };

    private static ActionSpec Link(string? expiry = null, int? max = null) =>
        new() { Type = "replaceAttachmentsWithLink", Expiry = expiry, MaxDownloadsPerFile = max };

    private static IReadOnlyList<Violation> Problems(ActionSpec action) =>
        PolicyCompiler.Compile(new PolicyDocument { Rules = [Rule("r", action)] }, 1).Violations;

    private static PolicyDecision Decide(IEnumerable<RuleSpec> rules, MessageFacts facts)
    {
        var (policy, violations) = PolicyCompiler.Compile(new PolicyDocument { Rules = rules.ToList() }, 1);
        Assert.Empty(violations);
        return PolicyEngine.Evaluate(policy, TenantSettings.Empty, KnownDomainSet.Empty, facts, null, Now);
    }

    [Theory]
    [InlineData("PT1H")]
    [InlineData("P7D")]
    [InlineData("P93D")]
    public void Expiry_from_one_hour_to_93_days_is_accepted(string expiry) => Assert.Empty(Problems(Link(expiry)));

    [Theory]
    [InlineData("PT59M", "shorter than the minimum of one hour")]
    [InlineData("P94D", "longer than the maximum of 93 days")]
    [InlineData("PT0S", "must be positive")]
    [InlineData("seven days", "not an ISO 8601 duration")]
    public void Expiry_outside_its_range_is_refused_with_the_field_and_why(string expiry, string why)
    {
        var problem = Assert.Single(Problems(Link(expiry)));
        Assert.Equal("rules[0].actions[0].expiry", problem.Field);
        Assert.Equal(PolicyViolation.InvalidDuration, problem.Code);
        Assert.Contains(why, problem.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(1001)]
    public void Max_downloads_outside_1_to_1000_is_refused(int max)
    {
        var problem = Assert.Single(Problems(Link(max: max)));
        Assert.Equal("rules[0].actions[0].maxDownloadsPerFile", problem.Field);
        Assert.Equal(PolicyViolation.InvalidAction, problem.Code);
    }

    [Fact]
    public void Encryption_parameters_do_not_apply_to_a_link()
    {
        var problem = Assert.Single(Problems(Link() with { Method = "aes256" }));
        Assert.Equal("rules[0].actions[0].method", problem.Field);
        Assert.Contains("expiry, maxDownloadsPerFile, verifyRecipient", problem.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Link_parameters_do_not_apply_to_encryption()
    {
        var problem = Assert.Single(Problems(new ActionSpec { Type = "encryptAttachments", Expiry = "P1D" }));
        Assert.Equal("rules[0].actions[0].expiry", problem.Field);
    }

    [Fact]
    public void Defaults_are_seven_days_no_limit_verified_recipients_and_no_password_mail()
    {
        var decision = Decide([Rule("link", Link())], Facts(File("見積書.pdf", new byte[100])));

        var link = decision.Link!;
        Assert.Equal("P7D", link.Expiry);
        Assert.Null(link.MaxDownloadsPerFile);
        Assert.True(link.VerifyRecipient);
        Assert.False(link.PasswordMail);
        Assert.False(link.NotifySenderOnFirstDownload);
        Assert.False(link.ExemptInternalRecipients);
        Assert.Equal(["見積書.pdf"], link.Attachments);
        Assert.Equal("queued", decision.Status);
        Assert.Contains(decision.Reasons, r => r.StartsWith("Attachments are to be replaced by a download link (1 attachment(s)", StringComparison.Ordinal)
            && r.Contains("valid 7 days from delivery", StringComparison.Ordinal) && r.EndsWith("rule 'link'", StringComparison.Ordinal));
    }

    [Fact]
    public void A_link_wins_over_encryption_in_either_order_and_the_decision_says_so()
    {
        var zip = Rule("zip", new ActionSpec { Type = "encryptAttachments" });
        var link = Rule("link", Link("P3D", 2));
        foreach (var rules in new[] { new[] { zip, link }, [link, zip] })
        {
            var decision = Decide(rules, Facts(File("a.pdf", new byte[10])));

            Assert.Null(decision.Encryption);
            Assert.Equal("P3D", decision.Link!.Expiry);
            Assert.Equal(2, decision.Link.MaxDownloadsPerFile);
            var encryption = decision.Rules.Single(r => r.RuleId == "zip").Actions.Single();
            Assert.Equal(ActionEffects.Superseded, encryption.Effect);
            Assert.Contains("download link of rule 'link'", encryption.Detail, StringComparison.Ordinal);
            Assert.Equal(ActionEffects.Applied, decision.Rules.Single(r => r.RuleId == "link").Actions.Single().Effect);
            Assert.Contains(decision.Reasons, r => r.StartsWith("No zip encryption (rule 'zip')", StringComparison.Ordinal));
        }
    }

    [Fact]
    public void Encrypted_zips_are_linked_as_they_are()
    {
        var decision = Decide([Rule("link", Link())], Facts(File("secret.zip", EncryptedZip()), File("plain.txt", "x"u8.ToArray())));

        Assert.Equal(["secret.zip", "plain.txt"], decision.Link!.Attachments);
        Assert.Equal(["secret.zip"], decision.Link.AlreadyEncryptedAttachments);
        Assert.Contains("linked as they are: secret.zip", decision.Rules.Single().Actions.Single().Detail, StringComparison.Ordinal);
    }

    [Fact]
    public void Without_attachments_the_link_is_not_applicable()
    {
        var decision = Decide([Rule("link", Link())], Facts());

        Assert.Null(decision.Link);
        var action = decision.Rules.Single().Actions.Single();
        Assert.Equal(ActionEffects.NotApplicable, action.Effect);
        Assert.Equal("the message has no attachment", action.Detail);
    }

    [Fact]
    public void The_first_link_rule_decides_and_the_second_is_superseded()
    {
        var decision = Decide([Rule("first", Link("P1D")), Rule("second", Link("P30D"))], Facts(File("a.pdf", new byte[10])));

        Assert.Equal("first", decision.Link!.RuleId);
        Assert.Equal(ActionEffects.Superseded, decision.Rules.Single(r => r.RuleId == "second").Actions.Single().Effect);
    }

    [Fact]
    public void A_rejected_message_gets_no_link()
    {
        var decision = Decide([Rule("no", new ActionSpec { Type = "reject", Reason = "no" }), Rule("link", Link())], Facts(File("a.pdf", new byte[10])));

        Assert.Null(decision.Link);
        Assert.Equal(ActionEffects.Superseded, decision.Rules.Single(r => r.RuleId == "link").Actions.Single().Effect);
        Assert.DoesNotContain(decision.Reasons, r => r.Contains("download link", StringComparison.Ordinal));
    }
}
