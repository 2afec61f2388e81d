using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Messages;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.Core.Archive.MessageSearch;

namespace SendGate.IntegrationTests.Archive;

/// <summary>
/// Guards the search indexes without timing anything: SQLite's plan for every filter, on a
/// database migrated by the product, must read the index meant for it. A plan that scans messages
/// or a side table, or sorts the tenant's messages, would still pass the functional tests while
/// taking seconds on a million messages (bench/README.md, "Search over 1,000,000 messages").
/// </summary>
public sealed class SearchPlanTests : IAsyncLifetime
{
    private SendGateApp _app = null!;

    public Task InitializeAsync()
    {
        _app = new SendGateApp();
        return Task.CompletedTask;
    }

    public async Task DisposeAsync() => await _app.DisposeAsync();

    public static TheoryData<string, string, string> Cases() => new()
    {
        // Filters on the message: an index that also gives the newest-first order, no sort.
        { "", "None", "SEARCH m USING INDEX ix_messages_tenant_created (tenant_id=?)" },
        { "before", "None", "SEARCH m USING INDEX ix_messages_tenant_created (tenant_id=? AND created_at<?)" },
        { "status", "None", "SEARCH m USING INDEX ix_messages_tenant_status_created (tenant_id=? AND status=?)" },
        { "from", "None", "SEARCH m USING INDEX ix_messages_tenant_from_created (tenant_id=? AND <expr>=?)" },
        { "from,before", "None", "SEARCH m USING INDEX ix_messages_tenant_from_created (tenant_id=? AND <expr>=? AND created_at<?)" },
        { "created", "None", "SEARCH m USING INDEX ix_messages_tenant_created (tenant_id=? AND created_at>? AND created_at<?)" },
        { "hasAttachments", "None", "SEARCH m USING INDEX ix_messages_tenant_created (tenant_id=?)" },

        // Common values: the newest-first walk, each message checked through an index.
        { "to", "None", "SEARCH r EXISTS USING COVERING INDEX ix_message_recipients_lower_address (<expr>=? AND message_id=?)" },
        { "rule", "None", "SEARCH r EXISTS USING " },
        { "tag", "None", "SEARCH t EXISTS USING " },
        { "attachment", "None", "SEARCH a EXISTS USING INDEX sqlite_autoindex_message_attachments_1 (message_id=?)" },
        { "subject", "None", "SEARCH m USING INDEX ix_messages_tenant_created (tenant_id=?)" },

        // Selective values: their own index finds the messages.
        { "to", "To", "SEARCH message_recipients USING COVERING INDEX ix_message_recipients_lower_address (<expr>=?)" },
        { "rule", "Rule", "SEARCH message_rules USING COVERING INDEX ix_message_rules_tenant_rule (tenant_id=? AND rule_id=?)" },
        { "tag", "Tag", "SEARCH message_tags USING COVERING INDEX ix_message_tags_tenant_tag (tenant_id=? AND tag=?)" },
        { "subject", "Subject", "SCAN message_subject_search VIRTUAL TABLE INDEX 0:M" },
        { "attachment", "Attachment", "SCAN message_attachment_search VIRTUAL TABLE INDEX 0:M" },
        { "to,status,from,before", "To", "SEARCH message_recipients USING COVERING INDEX ix_message_recipients_lower_address (<expr>=?)" },
        { "tag,subject,created", "Tag, Subject", "SCAN message_subject_search VIRTUAL TABLE INDEX 0:M" },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task Each_filter_reads_its_index(string filters, string driverNames, string expected)
    {
        var drivers = Enum.Parse<SearchDrivers>(driverNames);
        if (TestDatabase.SqlServer is not null)
        {
            return;
        }

        var plan = await PlanAsync(Filter(filters), drivers);
        var text = string.Join("\n", plan);
        Assert.Contains(plan, line => line.StartsWith(expected, StringComparison.Ordinal));

        // No table read whole: a bare SCAN of a table, or a SCAN of a whole index, reads every row.
        Assert.DoesNotContain(plan, line => line.StartsWith("SCAN ", StringComparison.Ordinal) && !line.Contains("VIRTUAL TABLE INDEX 0:M", StringComparison.Ordinal));

        // The message lookups of a driver go by key, never through the tenant's messages.
        if (drivers != SearchDrivers.None)
        {
            Assert.Contains(plan, line => line is "SEARCH m USING INDEX sqlite_autoindex_messages_1 (id=?)" or "SEARCH m USING INTEGER PRIMARY KEY (rowid=?)");
        }
        else
        {
            // Walking newest first must not sort: the index gives the order, so a page stops early.
            Assert.False(text.Contains("TEMP B-TREE FOR ORDER BY", StringComparison.Ordinal), text);
        }
    }

    [Fact]
    public async Task Probes_count_through_the_same_indexes()
    {
        if (TestDatabase.SqlServer is not null)
        {
            return;
        }

        var filter = Filter("to,subject,attachment,rule,tag");
        var probes = SelectivityProbes(SqliteDialect.Instance, "t", filter).ToList();
        Assert.Equal([SearchDrivers.To, SearchDrivers.Subject, SearchDrivers.Attachment, SearchDrivers.Rule, SearchDrivers.Tag], probes.Select(p => p.Driver));
        await using var connection = await _app.Service<IDbConnectionFactory>().OpenAsync();
        foreach (var (driver, sql, args) in probes)
        {
            var plan = (await connection.QueryAsync<(long, long, long, string)>("EXPLAIN QUERY PLAN " + sql, args)).Select(r => r.Item4).ToList();
            Assert.True(plan.All(line => !line.StartsWith("SCAN ", StringComparison.Ordinal) || line.Contains("VIRTUAL TABLE INDEX 0:M", StringComparison.Ordinal)
                || line.StartsWith("SCAN (subquery", StringComparison.Ordinal)), $"{driver}: {string.Join(" | ", plan)}");
        }

        // Shorter than a trigram: nothing to look up, so no subject or attachment probe.
        Assert.Equal([SearchDrivers.To], SelectivityProbes(SqliteDialect.Instance, "t", filter with { SubjectContains = "見積", AttachmentName = ".x", RuleId = null, Tag = null }).Select(p => p.Driver));
        Assert.Empty(SelectivityProbes(SqlServerDialect.Instance, "t", filter));
    }

    [Theory]
    [InlineData("見積", null)]
    [InlineData("見積書", "\"見積書\"")]
    [InlineData("a\"b", "\"a\"\"b\"")]
    [InlineData("😀😀", null)]
    [InlineData("😀😀😀", "\"😀😀😀\"")]
    public void Terms_become_trigram_phrases_from_three_characters(string term, string? phrase) =>
        Assert.Equal(phrase, TrigramPhrase(term));

    private async Task<List<string>> PlanAsync(MessageFilter filter, SearchDrivers drivers)
    {
        var (sql, args) = ListQuery(SqliteDialect.Instance, "t", filter, drivers);
        await using var connection = await _app.Service<IDbConnectionFactory>().OpenAsync();
        return (await connection.QueryAsync<(long, long, long, string)>("EXPLAIN QUERY PLAN " + sql, args)).Select(r => r.Item4).ToList();
    }

    private static MessageFilter Filter(string filters)
    {
        var filter = new MessageFilter();
        foreach (var name in filters.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            filter = name switch
            {
                "status" => filter with { Status = "sent" },
                "from" => filter with { From = "a@example.com" },
                "to" => filter with { To = "b@example.com" },
                "subject" => filter with { SubjectContains = "見積書" },
                "attachment" => filter with { AttachmentName = ".xlsx" },
                "rule" => filter with { RuleId = "r" },
                "tag" => filter with { Tag = "t" },
                "hasAttachments" => filter with { HasAttachments = true },
                "created" => filter with { CreatedFrom = 1, CreatedTo = 2 },
                "before" => filter with { Before = (3, "msg_1") },
                _ => throw new ArgumentOutOfRangeException(nameof(filters), name, null),
            };
        }

        return filter;
    }
}
