using System.Text;
using Dapper;
using SendGate.Core.Data;
using SendGate.Core.Messages;

namespace SendGate.Core.Archive;

/// <summary>
/// The archive's search (<c>GET /v1/messages</c>, the mbox export): the list query built from only
/// the filters given, and, where the dialect needs it, the choice of which filters find their
/// messages through their own index (see bench/README.md, "Search over 1,000,000 messages").
/// </summary>
public sealed class MessageSearch(IDbConnectionFactory db)
{
    // The messages a side-table filter names, found through that table's index on the value.
    private const string RecipientMatchesSql = "SELECT message_id FROM message_recipients WHERE LOWER(address) = @to";

    private const string RuleMatchesSql = "SELECT message_id FROM message_rules WHERE tenant_id = @tenantId AND rule_id = @ruleId";

    private const string TagMatchesSql = "SELECT message_id FROM message_tags WHERE tenant_id = @tenantId AND tag = @tag";

    /// <summary>Filters that can find their messages through an index on their own value.</summary>
    [Flags]
    internal enum SearchDrivers
    {
        None = 0,
        To = 1,
        Subject = 2,
        Attachment = 4,
        Rule = 8,
        Tag = 16,
    }

    // Below this many matches a filter finds its messages through its own index and sorts them (about
    // 5 µs a match with 1,000,000 messages); from there on, walking the tenant's messages newest first
    // meets a page of matches sooner. `bench search` measures both sides of the line.
    internal const int SelectiveBelow = 3000;

    /// <summary>One page of <paramref name="tenantId"/>'s messages that match <paramref name="filter"/>, newest first.</summary>
    public async Task<IReadOnlyList<MessageRow>> ListAsync(string tenantId, MessageFilter filter, CancellationToken cancellationToken = default)
    {
        await using var connection = await db.OpenAsync(cancellationToken);
        var drivers = SearchDrivers.None;
        foreach (var (driver, probe, probeArgs) in SelectivityProbes(db.Dialect, tenantId, filter))
        {
            if (await connection.ExecuteScalarAsync<long>(new CommandDefinition(probe, probeArgs, cancellationToken: cancellationToken)) < SelectiveBelow)
            {
                drivers |= driver;
            }
        }

        var (sql, args) = ListQuery(db.Dialect, tenantId, filter, drivers);
        return (await connection.QueryAsync<MessageRow>(new CommandDefinition(sql, args, cancellationToken: cancellationToken))).AsList();
    }

    /// <summary>
    /// Capped counts of what each side-table or text filter matches, for dialects that choose
    /// drivers: SQLite's planner knows nothing of the values, and would otherwise either walk a whole
    /// tenant for a rare recipient or fetch and sort every message of a common one.
    /// </summary>
    internal static IEnumerable<(SearchDrivers Driver, string Sql, object Args)> SelectivityProbes(SqlDialect dialect, string tenantId, MessageFilter filter)
    {
        if (!dialect.ChoosesSearchDrivers)
        {
            yield break;
        }

        static string Count(string matches) => $"SELECT COUNT(*) FROM ({matches} LIMIT {SelectiveBelow})";
        if (filter.To is not null)
        {
            yield return (SearchDrivers.To, Count(RecipientMatchesSql), new { to = filter.To.ToLowerInvariant() });
        }

        if (TrigramPhrase(filter.SubjectContains) is { } subjectMatch && dialect.SubjectCandidates is { } subjects)
        {
            yield return (SearchDrivers.Subject, Count(subjects), new { subjectMatch });
        }

        if (TrigramPhrase(filter.AttachmentName) is { } attachmentMatch && dialect.AttachmentCandidates is { } attachments)
        {
            yield return (SearchDrivers.Attachment, Count(attachments), new { attachmentMatch });
        }

        if (filter.RuleId is not null)
        {
            yield return (SearchDrivers.Rule, Count(RuleMatchesSql), new { tenantId, ruleId = filter.RuleId });
        }

        if (filter.Tag is not null)
        {
            yield return (SearchDrivers.Tag, Count(TagMatchesSql), new { tenantId, tag = filter.Tag });
        }
    }

    /// <summary>
    /// The list query for <paramref name="filter"/>: only the filters given become SQL. A filter in
    /// <paramref name="drivers"/> finds its messages through its own index (<c>m.id IN (...)</c>);
    /// the others are checked on each message while the tenant's messages are read newest first.
    /// Either way the same messages come back in the same order.
    /// </summary>
    internal static (string Sql, DynamicParameters Args) ListQuery(SqlDialect dialect, string tenantId, MessageFilter filter, SearchDrivers drivers = SearchDrivers.None)
    {
        // With a driver, SQLite must look its matches up rather than walk an index of the message
        // columns; a unary + keeps a column's comparison from being used as an index (SQLite only:
        // only dialects that choose drivers get them).
        var p = drivers == SearchDrivers.None ? "" : "+";
        var sql = new StringBuilder($"SELECT {MessageStore.Columns} FROM messages m WHERE {p}tenant_id = @tenantId");
        var args = new DynamicParameters(new { tenantId, limit = filter.Limit });
        if (filter.Status is not null)
        {
            sql.Append($" AND {p}status = @status");
            args.Add("status", filter.Status);
        }

        if (filter.Statuses is { Count: > 0 } statuses)
        {
            sql.Append($" AND {p}status IN @statuses");
            args.Add("statuses", statuses);
        }

        if (filter.From is not null)
        {
            // Addresses compare case-insensitively, as mail systems treat them in practice.
            sql.Append($" AND {p}LOWER(envelope_from) = @from");
            args.Add("from", filter.From.ToLowerInvariant());
        }

        if (filter.To is not null)
        {
            // The envelope recipients are the message_recipients rows: To, Cc and Bcc.
            sql.Append(drivers.HasFlag(SearchDrivers.To)
                ? $" AND m.id IN ({RecipientMatchesSql})"
                : " AND EXISTS (SELECT 1 FROM message_recipients r WHERE r.message_id = m.id AND LOWER(r.address) = @to)");
            args.Add("to", filter.To.ToLowerInvariant());
        }

        if (filter.SubjectContains is not null)
        {
            if (drivers.HasFlag(SearchDrivers.Subject))
            {
                sql.Append($" AND m.rowid IN ({dialect.SubjectCandidates})");
                args.Add("subjectMatch", TrigramPhrase(filter.SubjectContains));
            }

            sql.Append(@" AND subject LIKE @subject ESCAPE '\'");
            args.Add("subject", "%" + EscapeLike(filter.SubjectContains) + "%");
        }

        if (filter.Door is not null)
        {
            // Few messages of a tenant are of one door only where both are used: checked on the rows the walk meets.
            sql.Append($" AND {p}door = @door");
            args.Add("door", filter.Door);
        }

        if (filter.HasAttachments is { } has)
        {
            sql.Append(has ? $" AND {p}attachment_count > 0" : $" AND {p}attachment_count = 0");
        }

        if (filter.AttachmentName is not null)
        {
            if (drivers.HasFlag(SearchDrivers.Attachment))
            {
                sql.Append($@" AND m.id IN (SELECT a.message_id FROM message_attachments a WHERE a.rowid IN ({dialect.AttachmentCandidates}) AND a.name LIKE @attachment ESCAPE '\')");
                args.Add("attachmentMatch", TrigramPhrase(filter.AttachmentName));
            }
            else
            {
                sql.Append(@" AND EXISTS (SELECT 1 FROM message_attachments a WHERE a.message_id = m.id AND a.name LIKE @attachment ESCAPE '\')");
            }

            args.Add("attachment", "%" + EscapeLike(filter.AttachmentName) + "%");
        }

        if (filter.RuleId is not null)
        {
            sql.Append(drivers.HasFlag(SearchDrivers.Rule)
                ? $" AND m.id IN ({RuleMatchesSql})"
                : " AND EXISTS (SELECT 1 FROM message_rules r WHERE r.message_id = m.id AND r.tenant_id = @tenantId AND r.rule_id = @ruleId)");
            args.Add("ruleId", filter.RuleId);
        }

        if (filter.Tag is not null)
        {
            sql.Append(drivers.HasFlag(SearchDrivers.Tag)
                ? $" AND m.id IN ({TagMatchesSql})"
                : " AND EXISTS (SELECT 1 FROM message_tags t WHERE t.message_id = m.id AND t.tenant_id = @tenantId AND t.tag = @tag)");
            args.Add("tag", filter.Tag);
        }

        if (filter.CreatedFrom is not null)
        {
            sql.Append($" AND {p}created_at >= @createdFrom");
            args.Add("createdFrom", filter.CreatedFrom);
        }

        if (filter.CreatedTo is not null)
        {
            sql.Append($" AND {p}created_at < @createdTo");
            args.Add("createdTo", filter.CreatedTo);
        }

        if (filter.Before is { } before)
        {
            sql.Append($" AND ({p}created_at < @beforeAt OR ({p}created_at = @beforeAt AND {p}id < @beforeId))");
            args.Add("beforeAt", before.CreatedAt);
            args.Add("beforeId", before.Id);
        }

        sql.Append(" ORDER BY created_at DESC, id DESC ").Append(dialect.LimitClause);
        return (sql.ToString(), args);
    }

    /// <summary>
    /// <paramref name="term"/> as an FTS5 phrase for the trigram indexes, or null when it is shorter
    /// than a trigram (3 characters, counted as code points) and only a scan can find it.
    /// </summary>
    internal static string? TrigramPhrase(string? term) =>
        term is null || term.EnumerateRunes().Count() < 3 ? null : "\"" + term.Replace("\"", "\"\"", StringComparison.Ordinal) + "\"";

    private static string EscapeLike(string value) =>
        value.Replace(@"\", @"\\", StringComparison.Ordinal).Replace("%", @"\%", StringComparison.Ordinal).Replace("_", @"\_", StringComparison.Ordinal);
}
