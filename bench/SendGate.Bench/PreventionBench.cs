using System.Diagnostics;
using System.Globalization;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Delivery;
using SendGate.Core.Messages;
using SendGate.Core.Mime;
using SendGate.Core.Policies;

namespace SendGate.Bench;

/// <summary>
/// The prevention power of the recommended policy, measured on the labelled evaluation set in
/// bench/prevention: a tenant's delivery history is really submitted and delivered first, then
/// every case is decided as a submission would be (the dry run's path: intake, facts, policy),
/// and the decision is scored against its label. stop: held for review or self-audit, sent for
/// approval or rejected. protect: that, or attachments encrypted / recipients moved to Bcc. pass:
/// must not be stopped (a timed auto-release or encryption is not a stop).
/// </summary>
internal static class PreventionBench
{
    private static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web);

    private sealed record Attachment(string Filename, string? ContentType, string? Text, string? Base64);

    private sealed record Mail(string From, List<string>? To, List<string>? Cc, List<string>? Bcc, string Subject, string Text, List<Attachment>? Attachments);

    private sealed record Case(string Id, string Label, string Reason, Mail Message);

    private sealed record Tenant(List<string> InternalDomains, string? Language);

    private sealed record Outcome(string Category, Case Case, bool Stopped, bool Protected, PolicyDecision Decision)
    {
        public bool Caught => Case.Label == "stop" ? Stopped : Stopped || Protected;

        public bool FalseAlarm => Case.Label == "pass" && Stopped;

        public bool Wrong => Case.Label == "pass" ? FalseAlarm : !Caught;
    }

    public static async Task<int> RunAsync(string? folder)
    {
        folder ??= Path.Combine(RepositoryRoot(), "bench", "prevention");
        var tenant = JsonSerializer.Deserialize<Tenant>(File.ReadAllText(Path.Combine(folder, "tenant.json")), Json)!;
        var history = JsonSerializer.Deserialize<List<Mail>>(File.ReadAllText(Path.Combine(folder, "history.json")), Json)!;
        var cases = Directory.GetFiles(Path.Combine(folder, "cases"), "*.json").Order(StringComparer.Ordinal)
            .SelectMany(file => JsonSerializer.Deserialize<List<Case>>(File.ReadAllText(file), Json)!.Select(c => (Category: Path.GetFileNameWithoutExtension(file), Case: c)))
            .ToList();

        return await BenchHost.InTemporaryFolderAsync("sendgate-prevention-", async work =>
        {
            var (host, tenantId) = await BenchHost.StartAsync(work);
            using (host)
            {
                var services = host.Services;
                var policies = services.GetRequiredService<PolicyService>();
                var intake = services.GetRequiredService<MessageIntake>();
                var submissions = services.GetRequiredService<SubmissionService>();
                var tenantRow = (await policies.GetTenantAsync(tenantId))!.Value;
                await policies.UpdateTenantAsync(tenantId, tenantRow.Tenant.Name, tenantRow.Settings with
                {
                    InternalDomains = tenant.InternalDomains,
                    Language = tenant.Language ?? "ja",
                });

                // The history leaves under an empty policy (nothing held), through the real delivery path.
                var actor = new Actor(tenantId, "bench");
                foreach (var mail in history)
                {
                    var id = SubmissionService.NewMessageId();
                    var prepared = intake.FromJson(Request(mail), id).Message ?? throw new InvalidOperationException($"history mail '{mail.Subject}' is invalid");
                    if (await submissions.SubmitAsync(actor, id, prepared, null, null) is not SubmitOutcome.Accepted)
                    {
                        throw new InvalidOperationException($"history mail '{mail.Subject}' was not accepted");
                    }
                }

                var delivered = 0;
                for (var run = await services.GetRequiredService<DeliveryService>().DeliverDueAsync(); run.Claimed > 0; run = await services.GetRequiredService<DeliveryService>().DeliverDueAsync())
                {
                    delivered += run.Sent;
                }

                var recommended = PolicyStore.Deserialize(InitialPolicy.Recommended());
                if (await policies.ReplaceAsync(tenantId, recommended, "bench") is not PolicyChange.Saved)
                {
                    throw new InvalidOperationException("the recommended policy did not save");
                }

                Console.WriteLine($"prevention: {cases.Count} cases in {cases.Select(c => c.Category).Distinct().Count()} categories, history {history.Count} mails ({delivered} delivered), recommended policy {recommended.Rules!.Count} rules");
                var outcomes = new List<Outcome>();
                var timings = new List<double>();
                foreach (var (category, item) in cases)
                {
                    var result = intake.FromJson(Request(item.Message), "msg_prevention");
                    if (result.Message is not { } prepared)
                    {
                        throw new InvalidOperationException($"{item.Id}: {string.Join("; ", result.Violations.Select(v => $"{v.Field}: {v.Message}"))}");
                    }

                    var started = Stopwatch.GetTimestamp();
                    var decision = await policies.DecideAsync(tenantId, prepared, null);
                    timings.Add(Stopwatch.GetElapsedTime(started).TotalMicroseconds);
                    var stopped = decision.Status is MessageStatus.AwaitingApproval or MessageStatus.Rejected
                        || (decision.Status == MessageStatus.Held && decision.Hold?.Mode is HoldModes.Review or HoldModes.SelfAudit);
                    outcomes.Add(new Outcome(category, item, stopped, decision.Encryption is not null || decision.Bcc is not null, decision));
                }

                Print(outcomes, timings);
                return 0;
            }
        });
    }

    private static void Print(List<Outcome> outcomes, List<double> timings)
    {
        Console.WriteLine();
        Console.WriteLine($"{"category",-22} {"stop",5} {"prot",5} {"caught",7} {"recall",7} {"pass",5} {"false",6} {"false %",8}");
        foreach (var group in outcomes.GroupBy(o => o.Category))
        {
            var risky = group.Where(o => o.Case.Label != "pass").ToList();
            var pass = group.Where(o => o.Case.Label == "pass").ToList();
            Console.WriteLine($"{group.Key,-22} {risky.Count(o => o.Case.Label == "stop"),5} {risky.Count(o => o.Case.Label == "protect"),5} {risky.Count(o => o.Caught),7} {Percent(risky.Count(o => o.Caught), risky.Count),7} {pass.Count,5} {pass.Count(o => o.FalseAlarm),6} {Percent(pass.Count(o => o.FalseAlarm), pass.Count),8}");
        }

        var allRisky = outcomes.Where(o => o.Case.Label != "pass").ToList();
        var allPass = outcomes.Where(o => o.Case.Label == "pass").ToList();
        Console.WriteLine();
        Console.WriteLine($"caught: {allRisky.Count(o => o.Caught)} of {allRisky.Count} stop/protect mails = {Percent(allRisky.Count(o => o.Caught), allRisky.Count)} (target ≥ 95 %)");
        Console.WriteLine($"false alarms: {allPass.Count(o => o.FalseAlarm)} of {allPass.Count} pass mails stopped = {Percent(allPass.Count(o => o.FalseAlarm), allPass.Count)} (target ≤ 5 %)");
        timings.Sort();
        Console.WriteLine($"decision time (policy service, µs): median {timings[timings.Count / 2]:F0}, p95 {timings[(int)(timings.Count * 0.95)]:F0}");

        foreach (var (title, wrong) in new[] { ("missed", allRisky.Where(o => !o.Caught)), ("false alarms", allPass.Where(o => o.FalseAlarm)) })
        {
            Console.WriteLine();
            Console.WriteLine($"---- {title} ----");
            foreach (var o in wrong)
            {
                Console.WriteLine($"{o.Case.Id} [{o.Case.Label}] {o.Case.Reason}");
                Console.WriteLine($"    decided: {o.Decision.Status}{(o.Decision.Hold is { } hold ? $" ({hold.Mode})" : "")}{(o.Decision.Encryption is not null ? ", encrypted" : "")}{(o.Decision.Bcc is not null ? ", bcc" : "")}");
                foreach (var rule in o.Decision.Rules)
                {
                    Console.WriteLine($"    rule {rule.RuleId}: {string.Join(" | ", rule.Conditions.Select(c => $"{c.Type}: {c.Detail}"))}");
                }
            }
        }
    }

    private static string Percent(int part, int whole) => whole == 0 ? "-" : (100.0 * part / whole).ToString("F1", CultureInfo.InvariantCulture) + " %";

    private static MessageRequest Request(Mail mail) => new()
    {
        From = mail.From,
        To = mail.To,
        Cc = mail.Cc,
        Bcc = mail.Bcc,
        Subject = mail.Subject,
        Text = mail.Text,
        Attachments = mail.Attachments?.Select(a => new AttachmentRequest
        {
            Filename = a.Filename,
            ContentType = a.ContentType ?? "application/octet-stream",
            Content = a.Base64 ?? Convert.ToBase64String(BenchFiles.For(a.Filename, a.Text ?? "")),
        }).ToList(),
    };

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SendGate.sln")))
            {
                return dir.FullName;
            }
        }

        return Directory.GetCurrentDirectory();
    }
}
