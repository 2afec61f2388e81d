using System.ComponentModel.DataAnnotations;
using SendGate.Core.Hosting;

namespace SendGate.Core.Archive;

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
