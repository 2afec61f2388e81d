namespace SendGate.Core.Background;

/// <summary>
/// Every piece of background work the features declared, by name: what the worker schedules and
/// what <see cref="ScheduledWorkJob"/> looks up when a trigger fires.
/// </summary>
public sealed class BackgroundSchedule
{
    private readonly Dictionary<string, RecurringWork> work;

    public BackgroundSchedule(IEnumerable<RecurringWork> declared)
    {
        work = new Dictionary<string, RecurringWork>(StringComparer.Ordinal);
        foreach (var line in declared)
        {
            if (!work.TryAdd(line.Name, line))
            {
                throw new InvalidOperationException($"Background work '{line.Name}' is declared twice.");
            }
        }
    }

    public IReadOnlyCollection<RecurringWork> All => work.Values;

    public RecurringWork this[string name] => work.TryGetValue(name, out var line)
        ? line
        : throw new KeyNotFoundException($"No background work is named '{name}'.");
}
