using Microsoft.Extensions.Logging;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Background;

/// <summary>
/// Releases every hold whose time has come (or ends a self-audit hold unsent), in batches, until
/// none is due: what the release-due line of the schedule runs, and what the tests call directly.
/// </summary>
public sealed class HoldReleaser(MessageLifecycle lifecycle, TimeProvider time, ILogger<HoldReleaser> logger)
{
    public const int BatchSize = 500;

    /// <returns>How many messages left their hold.</returns>
    public async Task<int> ReleaseDueAsync(CancellationToken cancellationToken = default)
    {
        var total = 0;
        int released;
        do
        {
            released = await lifecycle.ReleaseDueAsync(time.NowMs(), "worker", BatchSize, cancellationToken);
            if (released > 0)
            {
                Log.Released(logger, released);
                total += released;
            }
        }
        while (released == BatchSize && !cancellationToken.IsCancellationRequested);

        return total;
    }
}
