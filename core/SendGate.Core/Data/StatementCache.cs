using System.Data;
using System.Data.Common;
using System.Diagnostics.CodeAnalysis;
using Microsoft.Data.Sqlite;

namespace SendGate.Core.Data;

/// <summary>
/// A SQLite connection that compiles each distinct statement once. Microsoft.Data.Sqlite keeps a
/// statement compiled only inside the command that ran it, and Dapper makes a new command for every
/// call, so the group-commit writer — the one thread every submission waits for — spent about a
/// quarter of its time compiling the same few INSERTs again (bench/README.md). Here each command
/// Dapper makes only collects text and parameters; it runs on a command kept per statement text,
/// compiled on first use. Meant for one writer at a time that keeps the connection open.
/// </summary>
internal sealed class StatementCachingConnection(SqliteConnection inner) : DbConnection
{
    // More than one of a text only when a command runs while another of the same text is open (a reader being read).
    private const int KeptPerText = 2;

    // A writer runs a few dozen distinct statements; text built per call (a list expanded into
    // IN (@p1, @p2, …)) must not make the cache grow without end: past this many, new texts are not kept.
    private const int MaxTexts = 128;

    private readonly Dictionary<string, Stack<SqliteCommand>> _compiled = new(StringComparer.Ordinal);

    /// <summary>The connection string's Default Timeout (SendGate:Database:BusyTimeout), which commands start with.</summary>
    internal int DefaultTimeout => inner.DefaultTimeout;

    /// <summary>How many distinct statement texts are kept compiled.</summary>
    internal int CompiledTexts => _compiled.Count;

    internal SqliteCommand Rent(string text)
    {
        if (_compiled.TryGetValue(text, out var kept) && kept.TryPop(out var command))
        {
            return command;
        }

        command = inner.CreateCommand();
        command.CommandText = text;
        return command;
    }

    internal void Return(SqliteCommand command)
    {
        command.Transaction = null;
        command.Parameters.Clear();
        if (!_compiled.TryGetValue(command.CommandText, out var kept) && _compiled.Count < MaxTexts)
        {
            _compiled[command.CommandText] = kept = new Stack<SqliteCommand>(KeptPerText);
        }

        if (kept is not null && kept.Count < KeptPerText)
        {
            kept.Push(command);
        }
        else
        {
            command.Dispose();
        }
    }

    [AllowNull]
    public override string ConnectionString
    {
        get => inner.ConnectionString;
        set => throw new NotSupportedException("The connection string of an open caching connection is fixed.");
    }

    public override string Database => inner.Database;

    public override string DataSource => inner.DataSource;

    public override string ServerVersion => inner.ServerVersion;

    public override ConnectionState State => inner.State;

    public override void ChangeDatabase(string databaseName) => inner.ChangeDatabase(databaseName);

    public override void Open() => inner.Open();

    public override void Close()
    {
        DropCompiled();
        inner.Close();
    }

    protected override DbTransaction BeginDbTransaction(IsolationLevel isolationLevel) => inner.BeginTransaction(isolationLevel);

    protected override DbCommand CreateDbCommand() => new CachedStatementCommand(this);

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            DropCompiled();
            inner.Dispose();
        }

        base.Dispose(disposing);
    }

    private void DropCompiled()
    {
        foreach (var command in _compiled.Values.SelectMany(kept => kept))
        {
            command.Dispose();
        }

        _compiled.Clear();
    }

    /// <summary>What Dapper fills in; runs on the connection's compiled command for its text.</summary>
    private sealed class CachedStatementCommand(StatementCachingConnection connection) : DbCommand
    {
        // Only a parameter list: this command never runs itself.
        private readonly SqliteCommand _parameters = new();
        private SqliteCommand? _running;

        [AllowNull]
        public override string CommandText { get; set; } = "";

        public override int CommandTimeout { get; set; } = connection.DefaultTimeout;

        public override CommandType CommandType
        {
            get => CommandType.Text;
            set
            {
                if (value != CommandType.Text)
                {
                    throw new NotSupportedException("SQLite runs text commands only.");
                }
            }
        }

        public override bool DesignTimeVisible { get; set; }

        public override UpdateRowSource UpdatedRowSource { get; set; }

        protected override DbConnection? DbConnection
        {
            get => connection;
            set => throw new NotSupportedException("A cached statement belongs to its connection.");
        }

        protected override DbParameterCollection DbParameterCollection => _parameters.Parameters;

        protected override DbTransaction? DbTransaction { get; set; }

        public override void Cancel() => _running?.Cancel();

        public override void Prepare()
        {
        }

        protected override DbParameter CreateDbParameter() => new SqliteParameter();

        public override int ExecuteNonQuery() => Run(command => command.ExecuteNonQuery());

        public override object? ExecuteScalar() => Run(command => command.ExecuteScalar());

        protected override DbDataReader ExecuteDbDataReader(CommandBehavior behavior)
        {
            // The compiled command stays taken until this command is disposed, after its reader.
            ReleaseRunning();
            _running = Take();
            return _running.ExecuteReader(behavior);
        }

        private T Run<T>(Func<SqliteCommand, T> execute)
        {
            var command = Take();
            try
            {
                return execute(command);
            }
            finally
            {
                connection.Return(command);
            }
        }

        private SqliteCommand Take()
        {
            var command = connection.Rent(CommandText);
            command.Transaction = (SqliteTransaction?)DbTransaction;
            command.CommandTimeout = CommandTimeout;
            foreach (SqliteParameter parameter in _parameters.Parameters)
            {
                command.Parameters.Add(parameter);
            }

            return command;
        }

        private void ReleaseRunning()
        {
            if (_running is { } running)
            {
                _running = null;
                connection.Return(running);
            }
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                ReleaseRunning();
                _parameters.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
