using System.Threading.RateLimiting;
using SendGate.Api.Infrastructure;

namespace SendGate.Api.ReviewConsole;

/// <summary>
/// Bounds what one client may ask of the anonymous pages: sign-in links requested and links
/// tried. Per address the link requests are also limited in the database (see SignInLinkRequests).
/// </summary>
internal sealed class ConsoleSignInLimiter : IDisposable
{
    private readonly PartitionedRateLimiter<string> _limiter = PartitionedRateLimiter.Create<string, string>(client =>
        RateLimitPartition.GetSlidingWindowLimiter(client, _ => new SlidingWindowRateLimiterOptions
        {
            PermitLimit = 20,
            Window = TimeSpan.FromMinutes(15),
            SegmentsPerWindow = 5,
            QueueLimit = 0,
        }));

    /// <summary>False when the client has asked too often lately.</summary>
    public bool TryAcquire(HttpContext context)
    {
        using var lease = _limiter.AttemptAcquire(ClientAddress.Of(context));
        return lease.IsAcquired;
    }

    public void Dispose() => _limiter.Dispose();
}
