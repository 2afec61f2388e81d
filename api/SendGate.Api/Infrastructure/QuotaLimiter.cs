using System.Diagnostics;
using System.Threading.RateLimiting;

namespace SendGate.Api.Infrastructure;

/// <summary>A named limit: at most <see cref="PermitLimit"/> requests per <see cref="Window"/>.</summary>
internal sealed record Quota(string Name, int PermitLimit, TimeSpan Window);

/// <summary>
/// A fixed window of <see cref="Quota.PermitLimit"/> permits that tells a refused client what it
/// must be told: which quota it met and the time actually left in the window (the framework's
/// <see cref="FixedWindowRateLimiter"/> answers the whole window however much of it has passed).
/// A permit can be given back while its window lasts (<see cref="Grant.Refund"/>): a request one
/// quota admitted and the next refused was not made, and must not count against the first.
/// </summary>
/// <remarks>
/// Made for <see cref="PartitionedRateLimiter"/>: the window is renewed when it is next asked (no
/// timer), and <see cref="IdleDuration"/> says since when every permit has been free, so the
/// partitioned limiter removes and disposes a partition left unused for 10 s.
/// </remarks>
internal sealed class QuotaLimiter(Quota quota) : RateLimiter
{
    /// <summary>Lease metadata of a refusal: the <see cref="Quota"/> that was met.</summary>
    public static readonly MetadataName<Quota> QuotaMetadata = new("sendgate.quota");

    private readonly Lock _lock = new();
    private long _windowStart = Stopwatch.GetTimestamp();
    private long _window;
    private int _used;

    public override TimeSpan? IdleDuration
    {
        get
        {
            lock (_lock)
            {
                var elapsed = Stopwatch.GetElapsedTime(_windowStart);
                return _used == 0 ? elapsed : elapsed >= quota.Window ? elapsed - quota.Window : null;
            }
        }
    }

    public override RateLimiterStatistics? GetStatistics()
    {
        lock (_lock)
        {
            Renew();
            return new RateLimiterStatistics { CurrentAvailablePermits = quota.PermitLimit - _used };
        }
    }

    protected override RateLimitLease AttemptAcquireCore(int permitCount)
    {
        lock (_lock)
        {
            Renew();
            // permitCount 0 asks "would one more be admitted?" without taking it, as the framework's limiters answer it.
            if (permitCount == 0 ? _used < quota.PermitLimit : _used + permitCount <= quota.PermitLimit)
            {
                _used += permitCount;
                return new Grant(this, _window, permitCount);
            }

            // The window is renewed when next asked, never early; never tell a client "0".
            var left = quota.Window - Stopwatch.GetElapsedTime(_windowStart);
            return new Refusal(quota, left < TimeSpan.FromSeconds(1) ? TimeSpan.FromSeconds(1) : left);
        }
    }

    /// <summary>No queue: a request over its quota is answered at once, never made to wait.</summary>
    protected override ValueTask<RateLimitLease> AcquireAsyncCore(int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(permitCount));

    private void Renew()
    {
        if (Stopwatch.GetElapsedTime(_windowStart) >= quota.Window)
        {
            _windowStart = Stopwatch.GetTimestamp();
            _window++;
            _used = 0;
        }
    }

    private void Refund(long window, int permitCount)
    {
        lock (_lock)
        {
            // A permit of a window that has passed was already renewed with it.
            if (window == _window)
            {
                _used -= permitCount;
            }
        }
    }

    /// <summary>An admitted request. Disposing it does not return the permit; <see cref="Refund"/> does.</summary>
    public sealed class Grant : RateLimitLease
    {
        private readonly QuotaLimiter _limiter;
        private readonly long _window;
        private int _permits;

        internal Grant(QuotaLimiter limiter, long window, int permits) => (_limiter, _window, _permits) = (limiter, window, permits);

        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        /// <summary>Gives the permits back to the window they were taken from, once.</summary>
        public void Refund() => _limiter.Refund(_window, Interlocked.Exchange(ref _permits, 0));
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

/// <summary>
/// Two quotas that both have to admit a request, the first (the API key's) asked first, so that a
/// key over its own limit does not use up the second (the tenant's). Unlike
/// <see cref="PartitionedRateLimiter.CreateChained{TResource}"/>, a permit the first admitted is
/// given back when the second refuses: the rate limiting middleware asks twice before it refuses
/// (once at once, once "waiting"), and with the framework's chain each refusal by the tenant cost
/// the key two permits, until the answer named the key's limit instead of the tenant's.
/// </summary>
internal sealed class BothQuotas<TResource>(PartitionedRateLimiter<TResource> first, PartitionedRateLimiter<TResource> second)
    : PartitionedRateLimiter<TResource>
{
    public override RateLimiterStatistics? GetStatistics(TResource resource) => second.GetStatistics(resource);

    protected override RateLimitLease AttemptAcquireCore(TResource resource, int permitCount)
    {
        var admitted = first.AttemptAcquire(resource, permitCount);
        if (!admitted.IsAcquired)
        {
            return admitted;
        }

        var also = second.AttemptAcquire(resource, permitCount);
        if (also.IsAcquired)
        {
            return new Leases(admitted, also);
        }

        (admitted as QuotaLimiter.Grant)?.Refund();
        admitted.Dispose();
        return also;
    }

    protected override ValueTask<RateLimitLease> AcquireAsyncCore(TResource resource, int permitCount, CancellationToken cancellationToken) =>
        ValueTask.FromResult(AttemptAcquireCore(resource, permitCount));

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            first.Dispose();
            second.Dispose();
        }

        base.Dispose(disposing);
    }

    private sealed class Leases(RateLimitLease first, RateLimitLease second) : RateLimitLease
    {
        public override bool IsAcquired => true;

        public override IEnumerable<string> MetadataNames => [];

        public override bool TryGetMetadata(string metadataName, out object? metadata)
        {
            metadata = null;
            return false;
        }

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                second.Dispose();
                first.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
