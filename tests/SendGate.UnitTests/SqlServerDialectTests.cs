using System.Reflection;
using Microsoft.SqlServer.TransactSql.ScriptDom;
using SendGate.Core.Data;
using SendGate.Core.Messages;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.UnitTests;

/// <summary>
/// No SQL Server runs on the build machines, so every statement SendGate can send to one is at
/// least parsed by SQL Server's own parser: the migration scripts, each store's SQL constants,
/// the dialect's statements and the queries built at run time.
/// </summary>
public sealed class SqlServerDialectTests
{
    public static TheoryData<string, string> Statements()
    {
        var data = new TheoryData<string, string>();
        foreach (var script in Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "sql", "sqlserver"), "*.sql"))
        {
            data.Add(Path.GetFileName(script), File.ReadAllText(script));
        }

        var dialect = SqlServerDialect.Instance;
        foreach (var property in typeof(SqlDialect).GetProperties().Where(p => p.PropertyType == typeof(string) && p.Name.EndsWith("Sql", StringComparison.Ordinal)))
        {
            data.Add($"{nameof(SqlServerDialect)}.{property.Name}", (string)property.GetValue(dialect)!);
        }

        foreach (var type in typeof(SqlDialect).Assembly.GetTypes())
        {
            foreach (var field in type.GetFields(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static)
                         .Where(f => f.IsLiteral && f.FieldType == typeof(string) && f.Name.EndsWith("Sql", StringComparison.Ordinal)))
            {
                data.Add($"{type.Name}.{field.Name}", (string)field.GetRawConstantValue()!);
            }
        }

        foreach (var queue in WorkQueues())
        {
            data.Add($"WorkQueue {queue.Table} claim", queue.ClaimSql(dialect));
            data.Add($"WorkQueue {queue.Table} return unstarted", queue.ReturnUnstartedSql);
            data.Add($"WorkQueue {queue.Table} any due", queue.AnyDueSql);
            data.Add($"WorkQueue {queue.Table} depth", queue.DepthSql);
        }

        var everyFilter = new MessageFilter
        {
            Status = "queued", Statuses = ["held", "awaiting_approval"], From = "a@example.com", To = "b@example.com", SubjectContains = "x", Tag = "t", HasAttachments = true, AttachmentName = "a", RuleId = "r",
            CreatedFrom = 1, CreatedTo = 2, Before = (3, "msg_1"), Limit = 10,
        };
        data.Add("MessageSearch.ListQuery (all filters)", SendGate.Core.Archive.MessageSearch.ListQuery(dialect, "t", everyFilter).Sql);
        data.Add("MessageSearch.ListQuery (no filter)", SendGate.Core.Archive.MessageSearch.ListQuery(dialect, "t", new MessageFilter()).Sql);
        data.Add("MessageLifecycle.DueForReleaseQuery", MessageLifecycle.DueForReleaseQuery(dialect));
        return data;
    }

    [Theory]
    [MemberData(nameof(Statements))]
    public void Parses_as_TSql(string name, string sql)
    {
        var parser = new TSql170Parser(initialQuotedIdentifiers: true);
        // Dapper expands a list parameter (`IN @keys`) into `IN (@keys1, @keys2, …)` before sending it.
        sql = System.Text.RegularExpressions.Regex.Replace(sql, @"\bIN @(\w+)", "IN (@${1}1, @${1}2)");
        using var reader = new StringReader(sql);
        parser.Parse(reader, out var errors);
        Assert.True(errors.Count == 0,
            $"{name} is not valid T-SQL:\n" + string.Join("\n", errors.Select(e => $"  line {e.Line}, column {e.Column}: {e.Message}")));
    }

    /// <summary>Every work queue the product declares (a static <see cref="WorkQueue"/> field of any type).</summary>
    internal static IReadOnlyList<WorkQueue> WorkQueues() =>
        typeof(SqlDialect).Assembly.GetTypes()
            .SelectMany(t => t.GetFields(BindingFlags.NonPublic | BindingFlags.Public | BindingFlags.Static))
            .Where(f => f.FieldType == typeof(WorkQueue))
            .Select(f => (WorkQueue)f.GetValue(null)!)
            .ToList();

    [Fact]
    public void The_parser_refuses_SQLite_only_syntax()
    {
        // Guards the guard: LIMIT, RETURNING and ON CONFLICT must not slip through as T-SQL.
        var parser = new TSql170Parser(initialQuotedIdentifiers: true);
        foreach (var sql in new[] { MessageLifecycle.Queue.ClaimSql(SqliteDialect.Instance), SqliteDialect.Instance.InsertIdempotencyKeySql })
        {
            using var reader = new StringReader(sql);
            parser.Parse(reader, out var errors);
            Assert.NotEmpty(errors);
        }
    }

    [Fact]
    public void Every_statement_source_is_found()
    {
        var names = Statements().Select(row => (string)row[0]).ToList();
        Assert.Contains("0001_foundation.sql", names);
        Assert.Equal(["messages", "notifications", "password_mails", "webhook_deliveries"], WorkQueues().Select(q => q.Table).Order());
        Assert.Contains("WorkQueue webhook_deliveries claim", names);
        Assert.Contains("MessageLifecycle.MoveSql", names);
        Assert.Contains("MessageLifecycle.LeaveApprovalSql", names);
        Assert.Contains("TenantStore.InsertFirstTenantSql", names);
        Assert.Contains("SubmissionWriter.FindIdempotencyKeySql", names);
    }

    [Fact]
    public void Both_dialects_ship_the_same_migrations()
    {
        static IEnumerable<string> Scripts(string dialect) =>
            Directory.EnumerateFiles(Path.Combine(RepositoryRoot(), "sql", dialect), "*.sql").Select(Path.GetFileName).Order()!;

        Assert.Equal(Scripts("sqlite"), Scripts("sqlserver"));
    }

    internal static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "SendGate.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("SendGate.sln not found above the test binaries.");
    }
}
