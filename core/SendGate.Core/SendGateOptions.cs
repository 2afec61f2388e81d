using System.ComponentModel.DataAnnotations;
using SendGate.Core.Hosting;

namespace SendGate.Core;

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

public sealed class BootstrapOptions
{
    public const string Section = "SendGate:Bootstrap";

    /// <summary>Admin API key for the default tenant created on first start when no tenant exists.</summary>
    public string? ApiKey { get; set; }

    [Required, MaxLength(200)]
    public string TenantName { get; set; } = "default";
}

public sealed class AuthOptions
{
    public const string Section = "SendGate:Auth";

    /// <summary>
    /// How long a host remembers a valid API key instead of reading it again; also the longest a
    /// key revoked on another host stays usable here. Zero reads the database on every request.
    /// </summary>
    [Duration("00:00:00", "00:05:00")]
    public TimeSpan KeyCacheDuration { get; set; } = TimeSpan.FromSeconds(10);
}

public sealed class LimitsOptions
{
    public const string Section = "SendGate:Limits";

    /// <summary>Largest accepted request body (JSON or MIME), in bytes.</summary>
    [Range(1024, 1L << 31)]
    public long MaxRequestBytes { get; set; } = 40L * 1024 * 1024;

    [Range(1, 10_000)]
    public int MaxRecipients { get; set; } = 500;

    // Header limits: MimeKit's parser slows down with the square of a field's folded lines, and
    // its encoder with a long value, so hostile headers are refused before anything parses them.
    // The defaults are far above real mail: a heavily relayed message has a 10–30 KiB header
    // section of 50–150 fields, To with 500 recipients one per line is 500 lines and ~30 KiB,
    // and Outlook caps a subject at 255 characters.

    /// <summary>Bytes of one header section (the message's, and each part's), up to the empty line.</summary>
    [Range(4 * 1024, 16 * 1024 * 1024)]
    public int MaxHeaderBytes { get; set; } = 256 * 1024;

    /// <summary>Fields in one header section.</summary>
    [Range(16, 100_000)]
    public int MaxHeaderFields { get; set; } = 1000;

    /// <summary>Lines of one header field, its first line and every folded continuation line.</summary>
    [Range(1, 100_000)]
    public int MaxHeaderLines { get; set; } = 1000;

    /// <summary>Characters of the decoded subject.</summary>
    [Range(1, 1_000_000)]
    public int MaxSubjectLength { get; set; } = 1000;

    /// <summary>Characters of one header value given as a JSON field (headers, attachment file name, content type).</summary>
    [Range(64, 1_000_000)]
    public int MaxHeaderValueLength { get; set; } = 16 * 1024;

    /// <summary>Characters of one mailbox's display name, in any address field.</summary>
    [Range(1, 100_000)]
    public int MaxDisplayNameLength { get; set; } = 256;

    /// <summary>How far in the past <c>sendAt</c> may lie (clock skew) before it is refused.</summary>
    [Duration("00:00:00", "1.00:00:00")]
    public TimeSpan SendAtTolerance { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How long an <c>Idempotency-Key</c> is remembered.</summary>
    [Duration("1.00:00:00", "30.00:00:00")]
    public TimeSpan IdempotencyRetention { get; set; } = TimeSpan.FromHours(24);
}

public enum DeliveryMode { Smtp, Pickup }

public sealed class DeliveryOptions
{
    public const string Section = "SendGate:Delivery";

    public DeliveryMode Mode { get; set; } = DeliveryMode.Pickup;

    /// <summary>Folder that receives one <c>.eml</c> file per delivered message in Pickup mode.</summary>
    [Required]
    public string PickupDirectory { get; set; } = "data/outbox";

    [Range(1, 100)]
    public int MaxAttempts { get; set; } = 8;

    [Duration("00:00:01", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Duration("00:00:01", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(1);

    /// <summary>How long a worker owns a claimed message; must exceed the SMTP timeout comfortably.</summary>
    [Duration("00:00:30", "1.00:00:00")]
    public TimeSpan LeaseDuration { get; set; } = TimeSpan.FromMinutes(5);

    [Range(1, 1000)]
    public int BatchSize { get; set; } = 100;

    /// <summary>Concurrent SMTP connections per worker.</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 4;

    /// <summary>
    /// How long one message may take to prepare and send before it is given up for this attempt
    /// (retried later like a relay's 4xx), so that one slow message or relay session never holds
    /// a lane; never longer than what is left of the lease.
    /// </summary>
    [Duration("00:00:01", "12:00:00")]
    public TimeSpan MessageTimeBudget { get; set; } = TimeSpan.FromMinutes(2);
}

public enum SmtpSecurity { Auto, None, StartTls, StartTlsWhenAvailable, SslOnConnect }

public sealed class SmtpOptions
{
    public const string Section = "SendGate:Smtp";

    [Required]
    public string Host { get; set; } = "localhost";

    [Range(1, 65535)]
    public int Port { get; set; } = 25;

    public SmtpSecurity Security { get; set; } = SmtpSecurity.Auto;

    public string? User { get; set; }

    public string? Password { get; set; }

    [Duration("00:00:01", "00:10:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Use ESMTP PIPELINING when the relay offers it.</summary>
    public bool Pipelining { get; set; } = true;

    /// <summary>Name announced in EHLO; the machine name when empty.</summary>
    public string? LocalDomain { get; set; }
}

public sealed class WorkerOptions
{
    public const string Section = "SendGate:Worker";

    /// <summary>Run the delivery worker inside the API host, so one command runs everything.</summary>
    public bool InProcess { get; set; } = true;

    /// <summary>How often the worker looks for due work when nothing wakes it earlier.</summary>
    [Duration("00:00:00.1", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Lease owner name; machine name and process id when empty.</summary>
    public string? Name { get; set; }
}

public sealed class PolicyOptions
{
    public const string Section = "SendGate:Policy";

    /// <summary>
    /// The policy a new tenant starts with: <c>recommended</c> (documented in the README),
    /// <c>empty</c> (no rules: everything is sent at once), or the path of a policy JSON file as
    /// exported by <c>GET /v1/policies</c>.
    /// </summary>
    [Required]
    public string InitialPolicy { get; set; } = "recommended";

    /// <summary>How long a host reuses a tenant's policy and settings; edits made on this host apply at once.</summary>
    [Duration("00:00:00", "00:05:00")]
    public TimeSpan CacheDuration { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>How long a host reuses the list of domains a tenant has delivered to (first-time and look-alike checks).</summary>
    [Duration("00:00:00", "01:00:00")]
    public TimeSpan DeliveryHistoryCacheDuration { get; set; } = TimeSpan.FromSeconds(30);
}

public sealed class EncryptionOptions
{
    public const string Section = "SendGate:Encryption";

    /// <summary>
    /// Base64 of 32 random bytes: the key that encrypts zip passwords at rest. Every host of one
    /// installation needs the same key. When empty, <see cref="PasswordKeyFile"/> is used.
    /// </summary>
    public string? PasswordKey { get; set; }

    /// <summary>Where the key is kept when <see cref="PasswordKey"/> is empty; created (mode 600) on first use.</summary>
    [Required]
    public string PasswordKeyFile { get; set; } = "data/password.key";

    /// <summary>Deflate level of the zips, 0 (store) to 9.</summary>
    [Range(0, 9)]
    public int CompressionLevel { get; set; } = 6;
}

public sealed class NotificationOptions
{
    public const string Section = "SendGate:Notifications";

    /// <summary>Sender of the mails SendGate writes itself (approval requests, outcomes to senders).</summary>
    [Required]
    public string From { get; set; } = "SendGate <sendgate@localhost>";

    /// <summary>Where approvers' browsers reach this API: the base of the signed links in approval mails.</summary>
    [Required]
    public string PublicBaseUrl { get; set; } = "http://localhost:5080";
}

public sealed class WebhookOptions
{
    public const string Section = "SendGate:Webhooks";

    /// <summary>Allow plain http:// endpoint URLs (https is required otherwise).</summary>
    public bool AllowHttp { get; set; }

    /// <summary>Allow loopback, private, link-local and other internal addresses (refused otherwise: SSRF).</summary>
    public bool AllowPrivateNetworks { get; set; }

    /// <summary>Hosts or IP addresses allowed even though they are internal, e.g. an in-house receiver.</summary>
    public List<string> AllowedHosts { get; set; } = [];

    /// <summary>How long one delivery attempt may take.</summary>
    [Duration("00:00:01", "00:02:00")]
    public TimeSpan Timeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>At most this much of a receiver's answer is read (the rest is ignored).</summary>
    [Range(0, 1024 * 1024)]
    public int MaxResponseBytes { get; set; } = 16 * 1024;

    /// <summary>
    /// Attempts before a delivery is failed. With the default backoff (30 s doubling, capped at
    /// 4 h, each delay 50–100 % of that for jitter) the last attempt comes 14 to 28 hours after the first.
    /// </summary>
    [Range(1, 30)]
    public int MaxAttempts { get; set; } = 16;

    [Duration("00:00:01", "01:00:00")]
    public TimeSpan RetryBaseDelay { get; set; } = TimeSpan.FromSeconds(30);

    [Duration("00:00:01", "1.00:00:00")]
    public TimeSpan RetryMaxDelay { get; set; } = TimeSpan.FromHours(4);

    /// <summary>An endpoint is disabled after this many deliveries in a row failed for good.</summary>
    [Range(1, 1000)]
    public int DisableAfterFailures { get; set; } = 5;

    /// <summary>Endpoints delivered to at the same time.</summary>
    [Range(1, 64)]
    public int Parallelism { get; set; } = 8;

    /// <summary>
    /// How far back fan-out looks again for events committed late (a transaction's events carry the
    /// time it began); longer than any transaction takes.
    /// </summary>
    [Duration("00:00:01", "01:00:00")]
    public TimeSpan FanOutWindow { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// How long finished deliveries (succeeded or failed for good) and their attempt logs are kept
    /// for GET /v1/webhooks/{id}/deliveries; an hourly job deletes older ones. Pending ones stay.
    /// </summary>
    [Duration("1.00:00:00", "3650.00:00:00")]
    public TimeSpan DeliveryRetention { get; set; } = TimeSpan.FromDays(30);
}

public enum BlobStoreKind { Auto, Folder, Database }

public sealed class ArchiveOptions
{
    public const string Section = "SendGate:Archive";

    /// <summary>Where originals and sent copies are kept: <c>Auto</c> is a folder with SQLite and the database with SQL Server (so any node reads any copy).</summary>
    public BlobStoreKind BlobStore { get; set; } = BlobStoreKind.Auto;

    /// <summary>The content-addressed folder of the folder store.</summary>
    [Required]
    public string BlobFolder { get; set; } = "data/blobs";

    /// <summary>
    /// With the folder store, blobs up to this size stay in the database instead: a file (and its
    /// folder entries, flushed) per few-KB message costs more than the message's whole database
    /// write (see bench/README.md). 0 puts everything in the folder.
    /// </summary>
    [Range(0, 16 * 1024 * 1024)]
    public int InlineUpTo { get; set; } = 64 * 1024;

    /// <summary>
    /// How long unreferenced content is left alone before the daily sweep deletes it: longer than any
    /// submission or delivery takes between storing content and committing the reference to it.
    /// </summary>
    [Duration("01:00:00", "30.00:00:00")]
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromDays(1);
}
