using System.Threading.RateLimiting;
using Microsoft.Extensions.Options;
using SendGate.Api.Infrastructure;

namespace SendGate.Api.Auth;

/// <summary>
/// Counts failed API key authentications per client address. The rate limiting middleware counts
/// requests, and cannot know a request failed before the lookup has been done; this counts only
/// failures, and once an address has used up its allowance its keys are refused before they are
/// hashed and looked up, until the window resets. A valid key from the same address is refused
/// then too: nothing can tell it apart without the lookup the limit is there to spare.
/// </summary>
internal sealed class AuthFailureLimiter(IOptions<RateLimitOptions> options) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _failures = PartitionedRateLimiter.Create<string, string>(address =>
        RateLimits.PerAddress(RateLimits.AuthFailures, options.Value.AuthFailuresPerAddress, address));

    /// <summary>Null while the address may still try; otherwise the refusal to answer with.</summary>
    public RateLimitLease? Refusal(string address)
    {
        var lease = _failures.AttemptAcquire(address, 0);
        if (lease.IsAcquired)
        {
            lease.Dispose();
            return null;
        }

        return lease;
    }

    public void Failed(string address) => _failures.AttemptAcquire(address).Dispose();

    public void Dispose() => _failures.Dispose();
}
