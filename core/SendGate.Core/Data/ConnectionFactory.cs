using System.Data.Common;
using Microsoft.Data.SqlClient;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Options;

namespace SendGate.Core.Data;

/// <summary>Opens connections to the configured database; the one seam between stores and provider.</summary>
public interface IDbConnectionFactory
{
    SqlDialect Dialect { get; }

    Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// A connection for one writer that keeps it open and runs the same statements over and over
    /// (a group commit): where the provider needs it, each statement is compiled once.
    /// </summary>
    Task<DbConnection> OpenWriterAsync(CancellationToken cancellationToken = default) => OpenAsync(cancellationToken);
}

public sealed class SqliteConnectionFactory : IDbConnectionFactory
{
    private readonly string _connectionString;
    private readonly string _openPragmas;

    public SqliteConnectionFactory(IOptions<DatabaseOptions> options)
    {
        var builder = new SqliteConnectionStringBuilder(options.Value.ConnectionString)
        {
            Pooling = true,
            DefaultTimeout = (int)Math.Ceiling(options.Value.BusyTimeout.TotalSeconds),
        };
        if (builder.Mode is SqliteOpenMode.ReadWriteCreate or SqliteOpenMode.ReadWrite
            && !string.IsNullOrEmpty(builder.DataSource) && builder.DataSource != ":memory:")
        {
            var folder = Path.GetDirectoryName(Path.GetFullPath(builder.DataSource));
            if (!string.IsNullOrEmpty(folder))
            {
                Directory.CreateDirectory(folder);
            }
        }

        _connectionString = builder.ToString();
        // synchronous=FULL: a commit is on disk before we answer 202, even across a power cut.
        _openPragmas = $"PRAGMA busy_timeout = {(long)options.Value.BusyTimeout.TotalMilliseconds}; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;";
    }

    public SqlDialect Dialect => SqliteDialect.Instance;

    public string ConnectionString => _connectionString;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        // Pragmas belong to the physical connection, which the pool reuses: set them once per handle.
        if (connection.Handle is { } handle && !_initialized.TryGetValue(handle, out _))
        {
            using var pragma = connection.CreateCommand();
            pragma.CommandText = _openPragmas;
            await pragma.ExecuteNonQueryAsync(cancellationToken);
            _initialized.AddOrUpdate(handle, Initialized);
        }

        return connection;
    }

    public async Task<DbConnection> OpenWriterAsync(CancellationToken cancellationToken = default) =>
        new StatementCachingConnection((SqliteConnection)await OpenAsync(cancellationToken));

    private static readonly object Initialized = new();

    private readonly System.Runtime.CompilerServices.ConditionalWeakTable<SQLitePCL.sqlite3, object> _initialized = new();
}

public sealed class SqlServerConnectionFactory(IOptions<DatabaseOptions> options) : IDbConnectionFactory
{
    private readonly string _connectionString = options.Value.ConnectionString;

    public SqlDialect Dialect => SqlServerDialect.Instance;

    public async Task<DbConnection> OpenAsync(CancellationToken cancellationToken = default)
    {
        var connection = new SqlConnection(_connectionString);
        await connection.OpenAsync(cancellationToken);
        return connection;
    }
}
