namespace SendGate.Core.Messages.Lifecycle;

/// <summary>
/// The table of allowed moves (<see cref="MessageStatus.Transitions"/>) as the lifecycle asks it,
/// before each compare-and-swap. A service rather than a static, so that a test can hand the
/// lifecycle a table without one move and see every path that makes it refuse.
/// </summary>
public sealed class LifecycleRules(IReadOnlyDictionary<string, IReadOnlySet<string>> transitions)
{
    public static LifecycleRules Default { get; } = new(MessageStatus.Transitions);

    public bool Allows(string from, string to) => transitions.TryGetValue(from, out var next) && next.Contains(to);

    /// <exception cref="LifecycleViolationException">The table does not allow the move: a defect in the caller, never input.</exception>
    public void Require(string from, string to)
    {
        if (!Allows(from, to))
        {
            throw new LifecycleViolationException(from, to);
        }
    }
}

/// <summary>A path asked for a move the lifecycle's table does not allow; nothing was changed.</summary>
public sealed class LifecycleViolationException(string from, string to)
    : InvalidOperationException($"The lifecycle does not allow {from} → {to}.")
{
    public string From { get; } = from;

    public string To { get; } = to;
}
