using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendGate.Core;
using SendGate.Core.Delivery;
using SendGate.Core.Tenants;

namespace SendGate.UnitTests;

public sealed class SmallPartsTests
{
    [Theory]
    [InlineData("2026-12-01T09:00:00+09:00", true)]
    [InlineData("2026-12-01T00:00:00Z", true)]
    [InlineData("2026-12-01T00:00:00.123456Z", true)]
    [InlineData("2026-12-01T09:00:00", false)]
    [InlineData("2026-12-01", false)]
    [InlineData("next tuesday", false)]
    [InlineData("", false)]
    public void Rfc3339_requires_an_offset(string value, bool valid) => Assert.Equal(valid, Rfc3339.TryParse(value, out _));

    [Fact]
    public void Rfc3339_keeps_the_instant()
    {
        Assert.True(Rfc3339.TryParse("2026-12-01T09:00:00+09:00", out var at));
        Assert.Equal(new DateTimeOffset(2026, 12, 1, 0, 0, 0, TimeSpan.Zero), at.ToUniversalTime());
    }

    [Fact]
    public void Api_keys_are_random_prefixed_and_only_their_hash_is_kept()
    {
        var a = ApiKeySecrets.Generate();
        var b = ApiKeySecrets.Generate();
        Assert.StartsWith("sg_", a);
        Assert.NotEqual(a, b);
        Assert.True(a.Length >= 40);
        Assert.Equal(ApiKeySecrets.Hash(a), ApiKeySecrets.Hash(a));
        Assert.NotEqual(ApiKeySecrets.Hash(a), ApiKeySecrets.Hash(b));
        Assert.DoesNotContain(a, ApiKeySecrets.Hash(a), StringComparison.Ordinal);
        Assert.Equal(64, ApiKeySecrets.Hash(a).Length);
    }

    [Fact]
    public void Backoff_grows_exponentially_with_jitter_and_is_capped()
    {
        var options = Options.Create(new DeliveryOptions { RetryBaseDelay = TimeSpan.FromSeconds(30), RetryMaxDelay = TimeSpan.FromMinutes(10) });
        var service = new DeliveryService(null!, null!, new WorkerIdentity(Options.Create(new WorkerOptions())), new FakeTimeProvider(), options, NullLogger<DeliveryService>.Instance);
        for (var i = 0; i < 200; i++)
        {
            Assert.InRange(service.Backoff(1), TimeSpan.FromSeconds(15), TimeSpan.FromSeconds(30));
            Assert.InRange(service.Backoff(3), TimeSpan.FromSeconds(60), TimeSpan.FromSeconds(120));
            Assert.InRange(service.Backoff(30), TimeSpan.FromMinutes(5), TimeSpan.FromMinutes(10));
        }

        var spread = Enumerable.Range(0, 50).Select(_ => service.Backoff(2)).Distinct().Count();
        Assert.True(spread > 10, "retries of many messages should not line up");
    }
}
