using Dapper;
using Microsoft.Data.Sqlite;
using SendGate.Core.Data;

namespace SendGate.UnitTests;

/// <summary>The group-commit writer's connection: Dapper's commands run on statements compiled once per text.</summary>
public sealed class StatementCacheTests : IDisposable
{
    private readonly StatementCachingConnection _connection;

    public StatementCacheTests()
    {
        var inner = new SqliteConnection("Data Source=:memory:");
        inner.Open();
        _connection = new StatementCachingConnection(inner);
        _connection.Execute("CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, size INTEGER)");
    }

    public void Dispose() => _connection.Dispose();

    [Fact]
    public async Task The_same_text_runs_on_the_same_compiled_command_with_each_call_s_own_parameters()
    {
        const string insert = "INSERT INTO t (name, size) VALUES (@name, @size)";
        await using (var transaction = await _connection.BeginTransactionAsync())
        {
            await _connection.ExecuteAsync(insert, new { name = "a", size = 1 }, transaction);
            await _connection.ExecuteAsync(insert, new { name = "b", size = (int?)null }, transaction);
            // A list runs the statement once per item, as Dapper does.
            await _connection.ExecuteAsync(insert, new[] { new { name = "c", size = 3 }, new { name = "d", size = 4 } }, transaction);
            await transaction.CommitAsync();
        }

        Assert.Equal([("a", 1L), ("b", -1L), ("c", 3L), ("d", 4L)],
            (await _connection.QueryAsync<(string, long)>("SELECT name, COALESCE(size, -1) FROM t ORDER BY name")).ToList());
        var first = _connection.Rent(insert);
        _connection.Return(first);
        Assert.Same(first, _connection.Rent(insert));
        Assert.Empty(first.Parameters);
        Assert.Null(first.Transaction);
    }

    [Fact]
    public async Task Texts_built_per_call_do_not_grow_the_cache_without_end()
    {
        // Dapper expands a list into IN (@ids1, @ids2, …): one text per list length.
        for (var length = 1; length <= 300; length++)
        {
            await _connection.QueryAsync<long>("SELECT id FROM t WHERE id IN @ids", new { ids = Enumerable.Range(1, length).ToArray() });
        }

        Assert.InRange(_connection.CompiledTexts, 1, 128);
        Assert.Empty(await _connection.QueryAsync<long>("SELECT id FROM t WHERE id IN @ids", new { ids = new[] { 1, 2 } }));
    }

    [Fact]
    public void Commands_wait_as_long_as_the_connection_says()
    {
        using var inner = new SqliteConnection("Data Source=:memory:;Default Timeout=75");
        inner.Open();
        using var connection = new StatementCachingConnection(inner);
        using var command = connection.CreateCommand();
        Assert.Equal(75, command.CommandTimeout);
    }

    [Fact]
    public async Task A_failed_statement_leaves_the_connection_and_its_statements_usable()
    {
        const string insert = "INSERT INTO t (name) VALUES (@name)";
        await _connection.ExecuteAsync(insert, new { name = "same" });
        await Assert.ThrowsAsync<SqliteException>(() => _connection.ExecuteAsync(insert, new { name = "same" }));
        await Assert.ThrowsAsync<InvalidOperationException>(() => _connection.ExecuteAsync(insert, new { other = "x" }));

        await _connection.ExecuteAsync(insert, new { name = "next" });
        Assert.Equal(2L, await _connection.ExecuteScalarAsync<long>("SELECT COUNT(*) FROM t"));
    }

    [Fact]
    public async Task A_statement_of_the_same_text_can_run_while_a_reader_of_it_is_open()
    {
        await _connection.ExecuteAsync("INSERT INTO t (name, size) VALUES ('a', 1), ('b', 2)");
        const string select = "SELECT name FROM t WHERE size >= @min ORDER BY name";
        var names = new List<string>();
        await using (var outer = await _connection.ExecuteReaderAsync(select, new { min = 1 }))
        {
            while (await outer.ReadAsync())
            {
                names.Add(outer.GetString(0));
                names.AddRange(await _connection.QueryAsync<string>(select, new { min = 2 }));
            }
        }

        Assert.Equal(["a", "b", "b", "b"], names);
        Assert.Equal(["a", "b"], await _connection.QueryAsync<string>(select, new { min = 0 }));
    }
}
