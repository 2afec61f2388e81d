using System.Diagnostics;
using System.Threading.RateLimiting;

namespace SendGate.Api.Infrastructure;

/// <summary>A named limit: at most <see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
internal sealed record Quota(string Name, int PermitLimit, TimeSpan Window);

/// <summary>
/// The framework's fixed-window limiter, plus what a refused client must be told: which quota it
/// met and when its window ends. <see cref="FixedWindowRateLimiter"/> answers a refusal with the
/// whole window as RetryAfter, however much of it has passed; this one keeps the window's start
/// itself (on the same monotonic clock) and answers the time actually left.
/// </summary>
/// <remarks>
/// Made for <see cref="PartitionedRateLimiter"/>: no timer of its own (the partitioned limiter's
/// heartbeat calls <see cref="TryReplenish"/> every 100 ms, as it does for the framework's own
/// partitions), and <see cref="IdleDuration"/> passes through, so a partition whose window is
/// full again and unused for 10 s is removed and disposed by the partitioned limiter.
/// </remarks>
internal sealed class QuotaLimiter : ReplenishingRateLimiter
{
    /// <summary>Lease metadata of a refusal: the <see cref="Quota"/> that was met.</summary>
    public static readonly MetadataName<Quota> QuotaMetadata = new("sendgate.quota");

    private readonly FixedWindowRateLimiter _window;
    private readonly Quota _quota;
    private long _windowStart;

    public QuotaLimiter(Quota quota)
    {
        _quota = quota;
        _window = new FixedWindowRateLimiter(new FixedWindowRateLimiterOptions
        {
            PermitLimit = quota.PermitLimit,
            Window = quota.Window,
            QueueLimit = 0,
            AutoReplenishment = false,
        });
        // Taken after the inner limiter's own start, so that whenever this window has passed, so has its.
        _windowStart = Stopwatch.GetTimestamp();
    }

    public override TimeSpan? IdleDuration => _window.IdleDuration;

    public override bool IsAutoReplenishing => false;

    public override TimeSpan ReplenishmentPeriod => _window.ReplenishmentPeriod;

    public override bool TryReplenish()
    {
        if (Stopwatch.GetElapsedTime(Volatile.Read(ref _windowStart)) >= _quota.Window)
        {
            _window.TryReplenish();
            Volatile.Write(ref _windowStart, Stopwatch.GetTimestamp());
        }

        return true;
    }

    public override RateLimiterStatistics? GetStatistics() => _window.GetStatistics();

    protected override RateLimitLease AttemptAcquireCore(int permitCount) => Answer(_window.AttemptAcquire(permitCount));

    protected override async ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        Answer(await _window.AcquireAsync(permitCount, cancellationToken));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _window.Dispose();
        }

        base.Dispose(disposing);
    }

    protected override ValueTask DisposeAsyncCore() => _window.DisposeAsync();

    private RateLimitLease Answer(RateLimitLease lease)
    {
        if (lease.IsAcquired)
        {
            return lease;
        }

        lease.Dispose();
        // The heartbeat replenishes up to 100 ms after the window ends; never tell a client "0".
        var left = _quota.Window - Stopwatch.GetElapsedTime(Volatile.Read(ref _windowStart));
        return new Refusal(_quota, left < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left);
    }

    private sealed class Refusal(Quota quota, TimeSpan retryAfter) : RateLimitLease
    {
        private static readonly string[] Names = [MetadataName.RetryAfter.Name, QuotaMetadata.Name];

        public override bool IsAcquired => false;

        public override IEnumerable<string> MetadataNames => Names;

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = metadataName == MetadataName.RetryAfter.Name ? retryAfter
                : metadataName == QuotaMetadata.Name ? quota
                : null;
            return metadata is not null;
        }
    }
}
