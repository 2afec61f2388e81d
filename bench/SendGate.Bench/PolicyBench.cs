using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.Options;
using MimeKit;
using SendGate.Core;
using SendGate.Core.Mime;
using SendGate.Core.Policies;
using SendGate.Core.Messages;

namespace SendGate.Bench;

/// <summary>
/// Evaluates a 50-rule policy (every condition type, the detectors included, against a delivery
/// history of 3,000 domains) on typical messages, the way a submission does: facts read from the
/// parsed message, then every rule. The baseline, measured in the same process, is parsing the
/// same message's MIME — work every MIME submission pays anyway. Target: median well under 1 ms.
/// </summary>
internal static class PolicyBench
{
    public static int Run(int iterations)
    {
        Encoding.RegisterProvider(CodePagesEncodingProvider.Instance);
        var time = TimeProvider.System;
        var intake = new MessageIntake(Options.Create(new LimitsOptions()), time);
        var (policy, violations) = PolicyCompiler.Compile(FiftyRules(), 7);
        if (policy is null)
        {
            Console.Error.WriteLine(string.Join(Environment.NewLine, violations.Select(v => $"{v.Field}: {v.Message}")));
            return 1;
        }

        var settings = new TenantSettings
        {
            InternalDomains = ["example.co.jp", "example-group.jp"],
            SenderGroups = new Dictionary<string, IReadOnlyList<string>> { ["sales"] = ["@sales.example.co.jp", "yamada@example.co.jp"], ["legal"] = ["@legal.example.co.jp"] },
        };
        var random = new Random(42);
        var known = new KnownDomainSet(Enumerable.Range(0, 3000).Select(i => RandomDomain(random)).Concat(["partner.co.jp", "customer.com", "supplier.jp"]));

        var messages = Messages().Select(m => (m.Name, Prepared: intake.FromJson(m.Request, "msg_bench").Message!)).ToList();
        Console.WriteLine($"policy: {policy.Rules.Count} rules, {known.Count} known domains, {messages.Count} messages, {iterations} iterations each (Release: {IsRelease()})");
        Console.WriteLine($"{"message",-28} {"size",8} {"matched",8} {"parse µs",10} {"eval µs",10} {"eval p95",10} {"eval/parse",11}");

        var allEval = new List<double>();
        var allParse = new List<double>();
        foreach (var (name, prepared) in messages)
        {
            var raw = prepared.Raw.InMemory.ToArray();
            // Warm up both paths (JIT, lazy indexes) before measuring.
            PolicyDecision? decision = null;
            for (var i = 0; i < 200; i++)
            {
                decision = PolicyEngine.Evaluate(policy, settings, known, new MessageFacts(prepared), null, time.GetUtcNow());
                Parse(raw);
            }

            var parse = Measure(iterations, () => Parse(raw));
            var eval = Measure(iterations, () => PolicyEngine.Evaluate(policy, settings, known, new MessageFacts(prepared), null, time.GetUtcNow()));
            allEval.AddRange(eval);
            allParse.AddRange(parse);
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{name,-28} {prepared.Raw.Length,8} {decision!.Rules.Count,8} {Median(parse),10:F1} {Median(eval),10:F1} {Percentile(eval, 0.95),10:F1} {Median(eval) / Median(parse),10:F2}x"));
        }

        var median = Median(allEval);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"all messages: evaluation median {median:F1} µs, p95 {Percentile(allEval, 0.95):F1} µs; MIME parse median {Median(allParse):F1} µs; ratio {median / Median(allParse):F2}x"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"target: median < 1000 µs — {(median < 1000 ? "met" : "MISSED")} ({1000 / median:F0}x headroom)"));
        return median < 1000 ? 0 : 1;
    }

    private static bool IsRelease() =>
        typeof(PolicyEngine).Assembly.GetCustomAttributes(typeof(DebuggableAttribute), false).OfType<DebuggableAttribute>().All(d => !d.IsJITOptimizerDisabled);

    private static void Parse(byte[] raw)
    {
        using var stream = new MemoryStream(raw, writable: false);
        MimeMessage.Load(stream);
    }

    private static List<double> Measure(int iterations, Action action)
    {
        var samples = new List<double>(iterations);
        for (var i = 0; i < iterations; i++)
        {
            var start = Stopwatch.GetTimestamp();
            action();
            samples.Add(Stopwatch.GetElapsedTime(start).TotalMicroseconds);
        }

        return samples;
    }

    private static double Median(List<double> samples) => Percentile(samples, 0.5);

    private static double Percentile(List<double> samples, double p)
    {
        var sorted = samples.Order().ToList();
        return sorted[(int)Math.Min(sorted.Count - 1, Math.Floor(p * sorted.Count))];
    }

    private static string RandomDomain(Random random)
    {
        const string letters = "abcdefghijklmnopqrstuvwxyz";
        var name = new string(Enumerable.Range(0, random.Next(5, 14)).Select(_ => letters[random.Next(letters.Length)]).ToArray());
        return name + (random.Next(3) switch { 0 => ".co.jp", 1 => ".com", _ => ".jp" });
    }

    private static IEnumerable<(string Name, MessageRequest Request)> Messages()
    {
        var body = new StringBuilder();
        body.AppendLine("株式会社パートナー\n営業部 田中様\n\nいつもお世話になっております。株式会社サンプルの山田です。");
        for (var i = 0; i < 25; i++)
        {
            body.AppendLine("先日お打ち合わせいただいた件につきまして、見積書の内容をご確認いただけますと幸いです。納期は来月末を予定しております。");
        }

        body.AppendLine("\n--\n株式会社サンプル 営業部 山田 太郎\nTEL 03-1234-5678 / yamada@example.co.jp");
        var text = body.ToString();
        var pdf = new byte[120_000];
        new Random(7).NextBytes(pdf);

        yield return ("internal short", new MessageRequest
        {
            From = "yamada@example.co.jp", To = ["suzuki@example.co.jp"], Subject = "会議室の予約", Text = "明日10時から第2会議室を予約しました。",
        });
        yield return ("external ~4 KB Japanese", new MessageRequest
        {
            From = "山田 太郎 <yamada@example.co.jp>", To = ["田中 一郎 <tanaka@partner.co.jp>"], Cc = ["sato@example.co.jp"],
            Subject = "【ご確認】お見積りの件", Text = text,
        });
        yield return ("external 2 attachments", new MessageRequest
        {
            From = "yamada@example.co.jp", To = ["tanaka@partner.co.jp"], Subject = "資料送付", Text = "資料を添付いたします。ご確認ください。",
            Attachments =
            [
                new AttachmentRequest { Filename = "見積書.pdf", ContentType = "application/pdf", Content = Convert.ToBase64String(pdf) },
                new AttachmentRequest { Filename = "仕様書.xlsx", ContentType = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", Content = Convert.ToBase64String(pdf[..30_000]) },
            ],
        });
        yield return ("8 recipients, look-alike", new MessageRequest
        {
            From = "yamada@sales.example.co.jp",
            To = ["a@customer.com", "b@custorner.com", "c@supplier.jp", "d@example.co.jp"],
            Cc = ["e@partner.co.jp", "f@newdomain.jp", "g@example-group.jp"], Bcc = ["archive@example.co.jp"],
            Subject = "Quarterly update", Text = "Dear all,\n\nPlease find the quarterly update below.\n" + string.Concat(Enumerable.Repeat("Figures and notes. ", 80)),
        });
        yield return ("HTML with card number", new MessageRequest
        {
            From = "billing@example.co.jp", To = ["tanaka@partner.co.jp"], Subject = "ご請求について",
            Html = "<html><body><p>田中様</p><p>カード番号 4111 1111 1111 1111 にて決済いたしました。</p>" + string.Concat(Enumerable.Repeat("<p>明細は以下の通りです。</p>", 40)) + "</body></html>",
        });
    }

    /// <summary>A realistic large policy: every condition type appears, most rules do not match a given message.</summary>
    private static PolicyDocument FiftyRules()
    {
        var rules = new List<RuleSpec>();
        ActionSpec Hold(string d) => new() { Type = "hold", Duration = d };
        ActionSpec Tag(string t) => new() { Type = "tag", Tags = [t] };
        ConditionSpec All(params ConditionSpec[] c) => new() { All = c };
        ConditionSpec Any(params ConditionSpec[] c) => new() { Any = c };
        var external = new ConditionSpec { Type = "externalRecipients" };

        void Add(string id, ConditionSpec conditions, params ActionSpec[] actions) =>
            rules.Add(new RuleSpec { Id = id, Name = id, Conditions = conditions, Actions = actions });

        Add("pii-approval", All(external, Any(new ConditionSpec { Type = "creditCard" }, new ConditionSpec { Type = "myNumber" })),
            new ActionSpec { Type = "requireApproval", Timeout = "PT4H" });
        Add("unfamiliar", Any(new ConditionSpec { Type = "lookalikeDomain" }, new ConditionSpec { Type = "firstTimeRecipientDomain" }), new ActionSpec { Type = "hold", Mode = "review" });
        Add("zip", All(external, new ConditionSpec { Type = "attachmentCount", Min = 1 }), new ActionSpec { Type = "encryptAttachments" });
        Add("bcc", All(new ConditionSpec { Type = "externalRecipients", Min = 5, Fields = ["to", "cc"] }), new ActionSpec { Type = "convertToBcc", Threshold = 5 });
        Add("forgotten", All(new ConditionSpec { Type = "attachmentMentionedButMissing" }), Hold("PT10M"));
        Add("honorific", All(new ConditionSpec { Type = "missingHonorific" }), Tag("honorific"));
        Add("external-hold", All(external), Hold("PT5M"));
        var keywords = new[] { "社外秘", "confidential", "極秘", "内部資料", "取扱注意", "未公開", "インサイダー", "人事", "給与", "評価" };
        for (var i = 0; i < keywords.Length; i++)
        {
            Add($"subject-{i}", All(external, new ConditionSpec { Type = "subject", Contains = [keywords[i], keywords[(i + 3) % keywords.Length]] }), Tag($"kw{i}"));
            Add($"body-{i}", All(external, new ConditionSpec { Type = "body", Contains = [keywords[i]] }), Hold("PT15M"));
        }

        var patterns = new[] { @"契約書\s*第?\d+号", @"invoice\s*no\.?\s*\d{5,}", @"パスワード\s*[:：]\s*\S+", @"\b\d{3}-\d{4}-\d{4}\b", @"口座番号\s*\d{7}" };
        for (var i = 0; i < patterns.Length; i++)
        {
            Add($"pattern-{i}", All(new ConditionSpec { Type = "body", Pattern = patterns[i] }), Tag($"p{i}"));
        }

        var competitors = new[] { "rival.co.jp", "competitor.com", "other-corp.jp", "press.example", "freemail.example" };
        foreach (var domain in competitors)
        {
            Add($"domain-{domain}", All(new ConditionSpec { Type = "recipientDomain", Domains = [domain] }), new ActionSpec { Type = "reject", Reason = "not allowed" });
        }

        Add("sales-outside", All(new ConditionSpec { Type = "sender", Groups = ["sales"] }, external), Tag("sales"));
        Add("legal-outside", All(new ConditionSpec { Type = "sender", Groups = ["legal"] }, external), new ActionSpec { Type = "requireApproval", Route = "legal" });
        Add("exe", All(new ConditionSpec { Type = "attachment", Extensions = ["exe", "bat", "js", "vbs"] }), new ActionSpec { Type = "reject", Reason = "executables" });
        Add("big", All(new ConditionSpec { Type = "attachment", MinSize = 10_000_000 }), Hold("PT30M"));
        Add("images", All(new ConditionSpec { Type = "attachment", ContentTypes = ["image/*"] }, external), Tag("images"));
        Add("zip-plain", All(new ConditionSpec { Type = "attachment", EncryptedZip = false, Extensions = ["zip"] }), Tag("plain-zip"));
        Add("names", All(new ConditionSpec { Type = "attachment", NamePattern = "^(顧客|社員)名簿" }), new ActionSpec { Type = "requireApproval" });
        Add("many", All(new ConditionSpec { Type = "recipientCount", Min = 20 }), Hold("PT10M"));
        Add("bulk-header", All(new ConditionSpec { Type = "header", Name = "Precedence", Contains = ["bulk"] }), Tag("bulk"));
        Add("priority", All(new ConditionSpec { Type = "header", Name = "X-Priority" }), Tag("priority"));
        Add("not-to-gov", All(new ConditionSpec { Type = "recipientDomain", Domains = ["go.jp", "lg.jp"] }), new ActionSpec { Type = "requireApproval", Route = "public-sector" });
        Add("bcc-external", All(new ConditionSpec { Type = "externalRecipients", Fields = ["bcc"] }), Tag("bcc-external"));
        Add("domain-not-in", All(new ConditionSpec { Type = "recipientDomain", Match = "notIn", Domains = ["example.co.jp", "partner.co.jp", "customer.com"] }), Tag("other"));
        Add("urgent", All(new ConditionSpec { Type = "subject", Pattern = "^(至急|urgent)" }), Tag("urgent"));
        while (rules.Count < 50)
        {
            Add($"sender-{rules.Count}", All(new ConditionSpec { Type = "sender", Addresses = [$"user{rules.Count}@example.co.jp"] }, external), Hold("PT20M"));
        }

        return new PolicyDocument { Rules = rules.Take(50).ToList() };
    }
}
