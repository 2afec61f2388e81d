using SendGate.Core.Hosting;

namespace SendGate.Core.Data;

public enum DatabaseProvider { Sqlite, SqlServer }

public sealed class DatabaseOptions
{
    public const string Section = "SendGate:Database";

    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>Defaults to a SQLite file in the <c>data</c> folder beside the working directory.</summary>
    public string ConnectionString { get; set; } = "Data Source=data/sendgate.db";

    /// <summary>SQLite only: how long a writer waits for the lock before giving up.</summary>
    [Duration("00:00:01", "00:10:00")]
    public TimeSpan BusyTimeout { get; set; } = TimeSpan.FromSeconds(30);
}
