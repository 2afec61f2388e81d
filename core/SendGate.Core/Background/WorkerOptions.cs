using SendGate.Core.Hosting;

namespace SendGate.Core.Background;

public sealed class WorkerOptions
{
    public const string Section = "SendGate:Worker";

    /// <summary>Run the background work inside the API host, so one command runs everything.</summary>
    public bool InProcess { get; set; } = true;

    /// <summary>How often the worker looks for due work when nothing wakes it earlier.</summary>
    [Duration("00:00:00.1", "00:10:00")]
    public TimeSpan PollInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>Lease owner name; machine name and process id when empty.</summary>
    public string? Name { get; set; }
}
