using System.Diagnostics;
using System.Globalization;
using Dapper;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using SendGate.Core;
using SendGate.Core.Data;
using SendGate.Core.Messages;

namespace SendGate.Bench;

/// <summary>
/// The message search (GET /v1/messages) over a large SQLite database: a fresh file migrated by the
/// product's migrator, loaded with realistic messages, then every filter alone and in combinations,
/// first page and a deep cursor page, through <see cref="SendGate.Core.Archive.MessageSearch.ListAsync"/> on the product's
/// connection factory. The baseline, measured in the same process, is the unfiltered first page.
/// Target: p95 ≤ 100 ms for every indexed query.
/// </summary>
internal static class SearchBench
{
    private const double TargetMs = 100;
    private const int Runs = 40;
    private const int PageSize = 50;
    private static readonly DateTimeOffset End = new(2026, 11, 28, 0, 0, 0, TimeSpan.Zero);

    public static async Task<int> RunAsync(int messages, string? keepFolder)
    {
        var work = keepFolder ?? Directory.CreateTempSubdirectory("sendgate-searchbench-").FullName;
        Directory.CreateDirectory(work);
        var file = Path.Combine(work, "sendgate.db");
        try
        {
            var options = Options.Create(new DatabaseOptions { ConnectionString = $"Data Source={file}" });
            var factory = new SqliteConnectionFactory(options);
            var fixture = new Fixture(messages);
            if (!File.Exists(file))
            {
                var stopwatch = Stopwatch.StartNew();
                await new DatabaseMigrator(options, factory, NullLogger<DatabaseMigrator>.Instance).MigrateAsync();
                var migrated = stopwatch.Elapsed;
                await fixture.LoadAsync(factory);
                Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                    $"loaded {fixture.Counts} in {stopwatch.Elapsed.TotalSeconds:F0} s (migrations {migrated.TotalSeconds:F1} s); file {new FileInfo(file).Length / 1048576.0:F0} MiB"));
            }
            else
            {
                foreach (var _ in fixture.Generate())
                {
                }

                Console.WriteLine($"reusing {file}");
            }

            return await MeasureAsync(factory, fixture);
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            if (keepFolder is null)
            {
                Directory.Delete(work, recursive: true);
            }
        }
    }

    private sealed record Case(string Name, bool Indexed, Func<int, MessageFilter> Filter, string? Note = null);

    private static async Task<int> MeasureAsync(SqliteConnectionFactory factory, Fixture f)
    {
        var store = new SendGate.Core.Archive.MessageSearch(factory);
        var deep = (f.Start + (f.EndMs - f.Start) / 2, "msg_");
        var week = 7 * 86_400_000L;
        MessageFilter Page(MessageFilter filter) => filter with { Limit = PageSize + 1 };
        MessageFilter Deep(MessageFilter filter) => filter with { Limit = PageSize + 1, Before = deep };
        string Pick(IReadOnlyList<string> pool, int i) => pool[i % pool.Count];

        var cases = new List<Case>
        {
            new("no filter (baseline)", true, _ => Page(new())),
            new("no filter, deep cursor", true, _ => Deep(new())),
            new("status=sent (common)", true, _ => Page(new() { Status = "sent" })),
            new("status=held (rare)", true, _ => Page(new() { Status = "held" })),
            new("status=held, deep cursor", true, _ => Deep(new() { Status = "held" })),
            new("from= common sender", true, i => Page(new() { From = Pick(f.CommonSenders, i) })),
            new("from= rare sender (any case)", true, i => Page(new() { From = Pick(f.RareSenders, i).ToUpperInvariant() })),
            new("from= rare sender, deep cursor", true, i => Deep(new() { From = Pick(f.RareSenders, i) })),
            new("to= common recipient", true, i => Page(new() { To = Pick(f.CommonRecipients, i) })),
            new("to= common recipient, deep cursor", true, i => Deep(new() { To = Pick(f.CommonRecipients, i) })),
            new("to= frequent, but only a year ago", false, _ => Page(new() { To = FormerCustomer }),
                "too frequent to fetch and sort, so the tenant's messages are walked newest first; its matches are all a year old"),
            new("to= rare recipient (any case)", true, i => Page(new() { To = Pick(f.RareRecipients, i).ToUpperInvariant() })),
            new("to= rare recipient, deep cursor", true, i => Deep(new() { To = Pick(f.RareRecipients, i) })),
            new("subject= common word (≥3 chars)", true, i => Page(new() { SubjectContains = Pick(CommonSubjectTerms, i) })),
            new("subject= common word, deep cursor", true, i => Deep(new() { SubjectContains = Pick(CommonSubjectTerms, i) })),
            new("subject= rare text (≥3 chars)", true, i => Page(new() { SubjectContains = Pick(f.RareSubjectTerms, i) })),
            new("subject= rare text, deep cursor", true, i => Deep(new() { SubjectContains = Pick(f.RareSubjectTerms, i) })),
            new("subject= 2 characters, common", false, i => Page(new() { SubjectContains = Pick(ShortCommonTerms, i) }),
                "shorter than a trigram: newest-first scan, stops at the first page"),
            new("subject= 2 characters, rare", false, i => Page(new() { SubjectContains = Pick(ShortRareTerms, i) }),
                "shorter than a trigram and rare: scans the tenant's messages"),
            new("hasAttachments=true", true, _ => Page(new() { HasAttachments = true })),
            new("hasAttachments=false, deep cursor", true, _ => Deep(new() { HasAttachments = false })),
            new("attachment= common name", true, i => Page(new() { AttachmentName = Pick(CommonAttachmentTerms, i) })),
            new("attachment= common name, deep cursor", true, i => Deep(new() { AttachmentName = Pick(CommonAttachmentTerms, i) })),
            new("attachment= rare name", true, i => Page(new() { AttachmentName = Pick(f.RareAttachmentTerms, i) })),
            new("rule= common", true, i => Page(new() { RuleId = Pick(CommonRules, i) })),
            new("rule= common, deep cursor", true, i => Deep(new() { RuleId = Pick(CommonRules, i) })),
            new("rule= rare", true, i => Page(new() { RuleId = Pick(RareRules, i) })),
            new("tag= common", true, i => Page(new() { Tag = Pick(CommonTags, i) })),
            new("tag= rare", true, i => Page(new() { Tag = Pick(RareTags, i) })),
            new("tag= rare, deep cursor", true, i => Deep(new() { Tag = Pick(RareTags, i) })),
            new("created in one week", true, i => Page(new() { CreatedFrom = f.Start + i * week % (f.EndMs - f.Start - week), CreatedTo = f.Start + i * week % (f.EndMs - f.Start - week) + week })),
            new("to= common + hasAttachments", true, i => Page(new() { To = Pick(f.CommonRecipients, i), HasAttachments = true })),
            new("status=failed + one week", true, i => Page(new() { Status = "failed", CreatedFrom = f.EndMs - (i % 20 + 1) * week, CreatedTo = f.EndMs - i % 20 * week })),
            new("from= common + subject= word", true, i => Page(new() { From = Pick(f.CommonSenders, i), SubjectContains = Pick(CommonSubjectTerms, i) })),
            new("tag=files + attachment=.xlsx", true, _ => Page(new() { Tag = "files", AttachmentName = ".xlsx" })),
            new("rule= rare + one quarter", true, i => Page(new() { RuleId = Pick(RareRules, i), CreatedFrom = f.EndMs - 13 * week, CreatedTo = f.EndMs })),
            new("to= rare + status=sent", true, i => Page(new() { To = Pick(f.RareRecipients, i), Status = "sent" })),
        };

        // Warm the page cache and the JIT once over every case before timing.
        foreach (var c in cases)
        {
            for (var i = 0; i < 3; i++)
            {
                await store.ListAsync(f.BigTenant, c.Filter(i));
            }
        }

        var results = new List<(Case Case, double Median, double P95, double Rows)>();
        foreach (var c in cases)
        {
            var times = new double[Runs];
            long rows = 0;
            for (var i = 0; i < Runs; i++)
            {
                var filter = c.Filter(i);
                var stopwatch = Stopwatch.StartNew();
                var found = await store.ListAsync(f.BigTenant, filter);
                times[i] = stopwatch.Elapsed.TotalMilliseconds;
                rows += Math.Min(found.Count, PageSize);
            }

            Array.Sort(times);
            results.Add((c, times[Runs / 2], times[(int)Math.Ceiling(Runs * 0.95) - 1], rows / (double)Runs));
        }

        var baseline = results[0].P95;
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"search: {f.Counts}; tenant {f.BigTenant} holds {f.BigTenantShare:P0}; {Runs} runs per query with varying values, page of {PageSize}"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{"query",-40} {"kind",-7} {"median ms",9} {"p95 ms",8} {"p95/base",8} {"rows",6}"));
        var missed = new List<string>();
        foreach (var (c, median, p95, rows) in results)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{c.Name,-40} {(c.Indexed ? "indexed" : "scan"),-7} {median,9:F2} {p95,8:F2} {p95 / baseline,7:F1}x {rows,6:F1}"));
            if (c.Indexed && p95 > TargetMs)
            {
                missed.Add(c.Name);
            }
        }

        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"baseline: unfiltered first page, p95 {baseline:F2} ms"));
        foreach (var c in cases.Where(c => c.Note is not null))
        {
            Console.WriteLine($"not indexed: {c.Name}: {c.Note}");
        }

        Console.WriteLine(missed.Count == 0
            ? string.Create(CultureInfo.InvariantCulture, $"target: p95 <= {TargetMs} ms for every indexed query — met (worst {results.Where(r => r.Case.Indexed).Max(r => r.P95):F1} ms)")
            : $"target: p95 <= {TargetMs} ms for every indexed query — MISSED by: {string.Join(", ", missed)}");
        return missed.Count == 0 ? 0 : 1;
    }

    private const string FormerCustomer = "buyer@former-client.example";

    private static readonly string[] CommonSubjectTerms = ["見積り", "Invoice", "議事録", "お知らせ", "meeting", "ご請求"];
    private static readonly string[] ShortCommonTerms = ["見積", "請求", "Re", "会議"];
    private static readonly string[] ShortRareTerms = ["極秘", "至急", "回収", "監査"];
    private static readonly string[] CommonAttachmentTerms = ["見積書", ".xlsx", "invoice", "議事録"];
    private static readonly string[] CommonRules = ["external-attachments", "first-time-domain"];
    private static readonly string[] RareRules = ["my-number", "card-number", "lookalike-domain"];
    private static readonly string[] CommonTags = ["external", "files"];
    private static readonly string[] RareTags = ["legal", "audit"];

    /// <summary>The generated data: deterministic, so a kept database can be measured again.</summary>
    private sealed class Fixture(int messages)
    {
        public string BigTenant => Tenants[0];
        public readonly string[] Tenants = ["ten_bench_large", "ten_bench_medium", "ten_bench_small"];
        public double BigTenantShare { get; private set; }
        public long Start => End.AddDays(-365).ToUnixTimeMilliseconds();
        public long EndMs => End.ToUnixTimeMilliseconds();
        public string Counts { get; private set; } = "";
        public List<string> CommonSenders { get; } = [];
        public List<string> RareSenders { get; } = [];
        public List<string> CommonRecipients { get; } = [];
        public List<string> RareRecipients { get; } = [];
        public List<string> RareSubjectTerms { get; } = [];
        public List<string> RareAttachmentTerms { get; } = [];

        private static readonly string[] Statuses = ["sent", "failed", "cancelled", "rejected", "held", "awaiting_approval", "queued", "sending"];
        private static readonly double[] StatusWeights = [0.905, 0.03, 0.02, 0.02, 0.01, 0.005, 0.008, 0.002];
        private static readonly string[] Products = ["新製品", "サーバー保守", "ライセンス", "クラウド移行", "研修", "ネットワーク機器", "Widget", "support plan"];
        private static readonly string[] Companies = ["山田商事", "鈴木工業", "ACME", "佐藤物産", "Globex", "田中建設", "Initech", "高橋電機"];

        public IEnumerable<Message> Generate()
        {
            var random = new Random(20261128);
            var senders = Tenants.Select((t, ti) => Enumerable.Range(0, ti == 0 ? 400 : 60)
                .Select(i => $"{(i % 7 == 0 ? "Sales.Team" : "user")}{i}@{t.Replace("ten_", "", StringComparison.Ordinal).Replace('_', '-')}.example.co.jp").ToArray()).ToArray();
            var domains = Enumerable.Range(0, 3000).Select(i => i % 3 == 0 ? $"client{i}.co.jp" : i % 3 == 1 ? $"partner{i}.com" : $"vendor{i}.jp").ToArray();
            var recipientCounts = new Dictionary<string, int>(StringComparer.Ordinal);
            var senderCounts = new Dictionary<string, int>(StringComparer.Ordinal);
            var span = EndMs - Start;
            long big = 0, recipientRows = 0, attachmentRows = 0, ruleRows = 0, tagRows = 0;
            for (var n = 0; n < messages; n++)
            {
                var createdAt = Start + (long)((n + random.NextDouble()) * span / messages);
                var tenantIndex = random.NextDouble() switch { < 0.85 => 0, < 0.97 => 1, _ => 2 };
                var tenant = Tenants[tenantIndex];
                big += tenantIndex == 0 ? 1 : 0;
                var tenantSenders = senders[tenantIndex];
                var sender = tenantSenders[Skewed(random, tenantSenders.Length, 2.5)];
                if (tenantIndex == 0)
                {
                    senderCounts[sender] = senderCounts.GetValueOrDefault(sender) + 1;
                }

                var recipientCount = random.NextDouble() switch { < 0.5 => 1, < 0.75 => 2, < 0.88 => 3, < 0.95 => 4, _ => 5 };
                var recipients = new List<(string Address, string Kind)>(recipientCount);
                for (var r = 0; r < recipientCount; r++)
                {
                    var domain = domains[Skewed(random, domains.Length, 3)];
                    var local = Skewed(random, 40, 2);
                    var address = $"{(local % 5 == 0 ? "info" : "staff")}{local}@{domain}";
                    if (recipients.Exists(x => x.Address.Equals(address, StringComparison.OrdinalIgnoreCase)))
                    {
                        continue;
                    }

                    if (tenantIndex == 0)
                    {
                        recipientCounts[address] = recipientCounts.GetValueOrDefault(address) + 1;
                    }

                    // Some clients write addresses with capitals; the search must not care.
                    recipients.Add((random.Next(20) == 0 ? char.ToUpperInvariant(address[0]) + address[1..] : address,
                        r == 0 ? "to" : random.Next(3) switch { 0 => "to", 1 => "cc", _ => "bcc" }));
                }

                // A customer mailed often in the first weeks of the year and never since.
                if (tenantIndex == 0 && n < messages / 20 && random.Next(8) == 0)
                {
                    recipients.Add((FormerCustomer, "to"));
                }

                var subject = Subject(random, n);
                var attachments = random.NextDouble() < 0.25 ? Attachments(random, n) : [];
                var rules = new List<string>();
                var tags = new List<string>();
                if (attachments.Length > 0 && random.NextDouble() < 0.5)
                {
                    rules.Add("external-attachments");
                    tags.Add("files");
                }

                if (random.NextDouble() < 0.08)
                {
                    rules.Add("first-time-domain");
                    tags.Add("external");
                }

                var rare = random.NextDouble();
                if (rare < 0.0005)
                {
                    rules.Add(RareRules[random.Next(RareRules.Length)]);
                    tags.Add(RareTags[random.Next(RareTags.Length)]);
                }
                else if (rare < 0.1)
                {
                    tags.Add("external");
                }

                var status = Statuses[Weighted(random, StatusWeights)];
                recipientRows += recipients.Count;
                attachmentRows += attachments.Length;
                ruleRows += rules.Distinct(StringComparer.Ordinal).Count();
                tagRows += tags.Distinct(StringComparer.Ordinal).Count();
                yield return new Message(
                    $"msg_{Guid.CreateVersion7(DateTimeOffset.FromUnixTimeMilliseconds(createdAt)):N}", tenant, status, sender, subject, createdAt,
                    recipients, attachments, rules.Distinct(StringComparer.Ordinal).ToArray(), tags.Distinct(StringComparer.Ordinal).ToArray());
            }

            BigTenantShare = big / (double)Math.Max(1, messages);
            Counts = string.Create(CultureInfo.InvariantCulture,
                $"{messages:N0} messages, {recipientRows:N0} recipients, {attachmentRows:N0} attachments, {ruleRows:N0} matched rules, {tagRows:N0} tags");
            var byCount = recipientCounts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
            CommonRecipients.AddRange(byCount.Take(10).Select(p => p.Key));
            RareRecipients.AddRange(byCount.Where(p => p.Value <= 20).TakeLast(40).Select(p => p.Key));
            var sendersByCount = senderCounts.OrderByDescending(p => p.Value).ThenBy(p => p.Key, StringComparer.Ordinal).ToList();
            CommonSenders.AddRange(sendersByCount.Take(5).Select(p => p.Key));
            RareSenders.AddRange(sendersByCount.TakeLast(20).Select(p => p.Key));
            RareSubjectTerms.AddRange(Enumerable.Range(0, 40).Select(i => $"#{(i * 7919 + 13) % Math.Max(1, messages / 10) + messages / 20:D6}"));
            RareAttachmentTerms.AddRange(Enumerable.Range(0, 40).Select(i => $"設計図_{(i * 104729 + 7) % Math.Max(1, messages / 100):D5}"));
        }

        private static string Subject(Random random, int n)
        {
            var company = Companies[random.Next(Companies.Length)];
            var product = Products[random.Next(Products.Length)];
            var month = random.Next(1, 13);
            // Every tenth message carries a ticket number, so that some subject text is rare.
            var ticket = n % 10 == 0 ? $" #{n / 10:D6}" : "";
            return random.Next(12) switch
            {
                0 => $"【見積】{product}のお見積り{ticket}",
                1 => $"議事録 {month}月定例会議{ticket}",
                2 => $"Invoice 2026-{month:D2} for {company}{ticket}",
                3 => $"Re: {product}の打ち合わせの件",
                4 => $"ご請求書送付のお知らせ（{month}月分）{ticket}",
                5 => $"Order confirmation {random.Next(100000, 999999)}",
                6 => $"Weekly report week {random.Next(1, 53)}{ticket}",
                7 => $"契約書のご確認のお願い（{company}様）",
                8 => $"Re: Re: meeting on {product}",
                9 => $"{company}様 {product}導入のご提案{ticket}",
                10 => $"年末年始休業のお知らせ",
                _ => $"Fw: {product} specification v{random.Next(1, 9)}.{random.Next(10)}{ticket}",
            };
        }

        private static string[] Attachments(Random random, int n)
        {
            var count = random.NextDouble() switch { < 0.7 => 1, < 0.9 => 2, _ => 3 };
            var names = new string[count];
            for (var i = 0; i < count; i++)
            {
                names[i] = random.Next(8) switch
                {
                    0 => "見積書.pdf",
                    1 => "invoice_2026.xlsx",
                    2 => $"議事録_{random.Next(1, 13)}月.docx",
                    3 => $"photo_{random.Next(10000):D4}.jpg",
                    4 => $"契約書_{Companies[random.Next(Companies.Length)]}.pdf",
                    5 => $"report_q{random.Next(1, 5)}.pptx",
                    6 => $"見積書_{random.Next(1000, 9999)}.xlsx",
                    // One in a hundred attachments has a numbered drawing name, so names can be rare.
                    _ => random.Next(12) == 0 ? $"設計図_{n / 100 % 100000:D5}.dwg" : "仕様書.docx",
                };
            }

            return names;
        }

        private static int Skewed(Random random, int count, double power) => (int)(Math.Pow(random.NextDouble(), power) * count);

        private static int Weighted(Random random, double[] weights)
        {
            var x = random.NextDouble();
            for (var i = 0; i < weights.Length; i++)
            {
                x -= weights[i];
                if (x < 0)
                {
                    return i;
                }
            }

            return 0;
        }

        public async Task LoadAsync(SqliteConnectionFactory factory)
        {
            await using var connection = (SqliteConnection)await factory.OpenAsync();
            // Fixture loading only: the product keeps synchronous=FULL and foreign keys for real writes.
            // A large page cache keeps the index b-trees in memory while rows arrive in random key order.
            await connection.ExecuteAsync("PRAGMA synchronous = OFF; PRAGMA foreign_keys = OFF; PRAGMA cache_size = -1048576;");
            foreach (var (tenant, i) in Tenants.Select((t, i) => (t, i)))
            {
                await connection.ExecuteAsync("INSERT INTO tenants (id, name, created_at) VALUES (@tenant, @name, @at)", new { tenant, name = $"bench {i}", at = Start });
            }

            var insertMessage = Prepare(connection, """
                INSERT INTO messages (id, tenant_id, status, source, envelope_from, header_from, subject, message_id_header, size_bytes,
                                      attachment_count, metadata, decisions, created_at, updated_at, attempts, event_seq, policy_version, sent_at)
                VALUES ($id, $tenant, $status, 'json', $from, $from, $subject, $mid, $size, $attachments, NULL, $decisions, $at, $at, 1, 3, 1, $sent)
                """, "$id", "$tenant", "$status", "$from", "$subject", "$mid", "$size", "$attachments", "$decisions", "$at", "$sent");
            var insertRecipient = Prepare(connection,
                "INSERT INTO message_recipients (message_id, address, kind, status, updated_at) VALUES ($id, $address, $kind, $status, $at)",
                "$id", "$address", "$kind", "$status", "$at");
            var insertAttachment = Prepare(connection,
                "INSERT INTO message_attachments (message_id, tenant_id, position, name) VALUES ($id, $tenant, $position, $name)",
                "$id", "$tenant", "$position", "$name");
            var insertRule = Prepare(connection, "INSERT INTO message_rules (message_id, tenant_id, rule_id) VALUES ($id, $tenant, $rule)", "$id", "$tenant", "$rule");
            var insertTag = Prepare(connection, "INSERT INTO message_tags (message_id, tenant_id, tag) VALUES ($id, $tenant, $tag)", "$id", "$tenant", "$tag");
            var count = 0;
            SqliteTransaction? transaction = null;
            foreach (var m in Generate())
            {
                if (count++ % 50_000 == 0)
                {
                    transaction?.Commit();
                    transaction = connection.BeginTransaction();
                    foreach (var command in new[] { insertMessage, insertRecipient, insertAttachment, insertRule, insertTag })
                    {
                        command.Transaction = transaction;
                    }
                }

                var decisions = m.Rules.Length == 0 ? "[]" : "[" + string.Join(",", m.Rules.Select(r => $"{{\"rule\":\"{r}\",\"action\":\"tag\"}}")) + "]";
                Run(insertMessage, m.Id, m.TenantId, m.Status, m.From, m.Subject, $"<{m.Id}@bench.example>", 2000 + m.Attachments.Length * 150_000,
                    m.Attachments.Length, decisions, m.CreatedAt, m.Status == "sent" ? m.CreatedAt + 1500 : null);
                foreach (var (address, kind) in m.Recipients)
                {
                    Run(insertRecipient, m.Id, address, kind, m.Status == "sent" ? "accepted" : "pending", m.CreatedAt + 1500);
                }

                for (var i = 0; i < m.Attachments.Length; i++)
                {
                    Run(insertAttachment, m.Id, m.TenantId, i, m.Attachments[i]);
                }

                foreach (var rule in m.Rules)
                {
                    Run(insertRule, m.Id, m.TenantId, rule);
                }

                foreach (var tag in m.Tags)
                {
                    Run(insertTag, m.Id, m.TenantId, tag);
                }
            }

            transaction?.Commit();
        }

        private static SqliteCommand Prepare(SqliteConnection connection, string sql, params string[] names)
        {
            var command = connection.CreateCommand();
            command.CommandText = sql;
            foreach (var name in names)
            {
                command.Parameters.Add(new SqliteParameter { ParameterName = name });
            }

            command.Prepare();
            return command;
        }

        private static void Run(SqliteCommand command, params object?[] values)
        {
            for (var i = 0; i < values.Length; i++)
            {
                command.Parameters[i].Value = values[i] ?? DBNull.Value;
            }

            command.ExecuteNonQuery();
        }
    }

    private sealed record Message(string Id, string TenantId, string Status, string From, string Subject, long CreatedAt,
        List<(string Address, string Kind)> Recipients, string[] Attachments, string[] Rules, string[] Tags);
}
