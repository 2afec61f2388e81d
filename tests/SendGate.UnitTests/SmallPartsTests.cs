using SendGate.Core;
using SendGate.Core.Data;
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
        var baseDelay = TimeSpan.FromSeconds(30);
        var max = TimeSpan.FromMinutes(10);
        TimeSpan Delay(int attempts, double random) => RetryBackoff.Delay(attempts, baseDelay, max, random);

        Assert.Equal(TimeSpan.FromSeconds(15), Delay(1, 0));
        Assert.Equal(TimeSpan.FromSeconds(30), Delay(1, 1));
        Assert.Equal(TimeSpan.FromSeconds(60), Delay(3, 0));
        Assert.Equal(TimeSpan.FromSeconds(120), Delay(3, 1));
        Assert.Equal(TimeSpan.FromMinutes(5), Delay(30, 0));
        Assert.Equal(TimeSpan.FromMinutes(10), Delay(1000, 1));
        Assert.True(Delay(2, 0.3) < Delay(2, 0.7), "jitter spreads retries of many messages");
    }
}
