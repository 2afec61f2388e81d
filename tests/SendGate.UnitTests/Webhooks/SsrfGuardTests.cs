using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using Microsoft.Extensions.Options;
using Microsoft.Extensions.Time.Testing;
using SendGate.Core;
using SendGate.Core.Webhooks;

namespace SendGate.UnitTests.Webhooks;

public sealed class SsrfGuardTests
{
    private static SsrfGuard Guard(WebhookOptions? options = null, TimeProvider? time = null, Func<IEnumerable<IPAddress>>? local = null) =>
        new(Options.Create(options ?? new WebhookOptions()), time ?? new FakeTimeProvider(), local);

    /// <summary>
    /// Every range of the IANA special-purpose registries named in the guard: its first and last
    /// address are refused, and the addresses just outside pass (left empty where the neighbour is
    /// itself special-purpose, or outside 2000::/3 where IANA allocates no unicast at all).
    /// </summary>
    [Theory]
    [InlineData("0.0.0.0", "0.255.255.255", null, "1.0.0.0")]
    [InlineData("10.0.0.0", "10.255.255.255", "9.255.255.255", "11.0.0.0")]
    [InlineData("100.64.0.0", "100.127.255.255", "100.63.255.255", "100.128.0.0")]
    [InlineData("127.0.0.0", "127.255.255.255", "126.255.255.255", "128.0.0.0")]
    [InlineData("169.254.0.0", "169.254.255.255", "169.253.255.255", "169.255.0.0")]
    [InlineData("172.16.0.0", "172.31.255.255", "172.15.255.255", "172.32.0.0")]
    [InlineData("192.0.0.0", "192.0.0.255", "191.255.255.255", "192.0.1.0")]
    [InlineData("192.0.2.0", "192.0.2.255", "192.0.1.255", "192.0.3.0")]
    [InlineData("192.31.196.0", "192.31.196.255", "192.31.195.255", "192.31.197.0")]
    [InlineData("192.52.193.0", "192.52.193.255", "192.52.192.255", "192.52.194.0")]
    [InlineData("192.88.99.0", "192.88.99.255", "192.88.98.255", "192.88.100.0")]
    [InlineData("192.168.0.0", "192.168.255.255", "192.167.255.255", "192.169.0.0")]
    [InlineData("192.175.48.0", "192.175.48.255", "192.175.47.255", "192.175.49.0")]
    [InlineData("198.18.0.0", "198.19.255.255", "198.17.255.255", "198.20.0.0")]
    [InlineData("198.51.100.0", "198.51.100.255", "198.51.99.255", "198.51.101.0")]
    [InlineData("203.0.113.0", "203.0.113.255", "203.0.112.255", "203.0.114.0")]
    [InlineData("224.0.0.0", "239.255.255.255", "223.255.255.255", null)]
    [InlineData("240.0.0.0", "255.255.255.254", null, null)]
    [InlineData("255.255.255.255", "255.255.255.255", null, null)]
    [InlineData("::", "::", null, null)]
    [InlineData("::1", "::1", null, null)]
    [InlineData("::a00:1", "::ffff:ffff", null, null)] // IPv4-compatible (deprecated)
    [InlineData("64:ff9b:1::", "64:ff9b:1:ffff:ffff:ffff:ffff:ffff", null, null)]
    [InlineData("100::", "100::ffff:ffff:ffff:ffff", null, null)]
    [InlineData("2001::", "2001:1ff:ffff:ffff:ffff:ffff:ffff:ffff", "2000:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "2001:200::")]
    [InlineData("2001::", "2001:0:ffff:ffff:ffff:ffff:ffff:ffff", null, null)] // Teredo
    [InlineData("2001:db8::", "2001:db8:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db7:ffff:ffff:ffff:ffff:ffff:ffff", "2001:db9::")]
    [InlineData("3fff::", "3fff:fff:ffff:ffff:ffff:ffff:ffff:ffff", "3ffe:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "3fff:1000::")]
    [InlineData("5f00::", "5f00:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null, null)]
    [InlineData("fc00::", "fdff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null, null)]
    [InlineData("fe80::", "febf:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null, null)]
    [InlineData("fec0::", "feff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null, null)]
    [InlineData("ff00::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", null, null)]
    [InlineData("1fff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", "4000::", null, null)] // just outside 2000::/3
    public void Special_purpose_ranges_are_refused_from_first_to_last_address_and_not_beyond(string first, string last, string? below, string? above)
    {
        Assert.True(SsrfGuard.IsInternal(IPAddress.Parse(first)), first);
        Assert.True(SsrfGuard.IsInternal(IPAddress.Parse(last)), last);
        if (below is not null)
        {
            Assert.False(SsrfGuard.IsInternal(IPAddress.Parse(below)), below);
        }

        if (above is not null)
        {
            Assert.False(SsrfGuard.IsInternal(IPAddress.Parse(above)), above);
        }
    }

    /// <summary>IPv6 forms that carry an IPv4 address are judged by that address.</summary>
    [Theory]
    [InlineData("::ffff:10.0.0.1", true)]
    [InlineData("::ffff:127.0.0.1", true)]
    [InlineData("::ffff:0.0.0.0", true)]
    [InlineData("::ffff:255.255.255.255", true)]
    [InlineData("::ffff:93.184.216.34", false)]
    [InlineData("64:ff9b::a9fe:a9fe", true)] // NAT64 of 169.254.169.254
    [InlineData("64:ff9b::7f00:1", true)]
    [InlineData("64:ff9b::", true)]
    [InlineData("64:ff9b::ffff:ffff", true)]
    [InlineData("64:ff9b::5db8:d822", false)]
    [InlineData("2002:0a00:0001::1", true)] // 6to4 of 10.0.0.1
    [InlineData("2002::", true)]
    [InlineData("2002:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true)]
    [InlineData("2002:5db8:d822::1", false)]
    [InlineData("2001:ffff:ffff:ffff:ffff:ffff:ffff:ffff", false)] // just below 2002::/16
    [InlineData("2003::", false)]
    public void Embedded_ipv4_addresses_decide(string address, bool refused) => Assert.Equal(refused, SsrfGuard.IsInternal(IPAddress.Parse(address)));

    [Theory]
    [InlineData("93.184.216.34")]
    [InlineData("8.8.8.8")]
    [InlineData("2606:2800:220:1:248:1893:25c8:1946")]
    [InlineData("2a00:1450:4001:81c::200e")]
    public void Public_addresses_pass(string address)
    {
        Assert.False(SsrfGuard.IsInternal(IPAddress.Parse(address)));
        Assert.True(Guard(local: () => []).Allowed(IPAddress.Parse(address), address));
    }

    [Fact]
    public void Every_address_of_this_machine_is_refused()
    {
        var guard = Guard();
        var own = NetworkInterface.GetAllNetworkInterfaces().SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address).ToList();
        Assert.NotEmpty(own);
        Assert.All(own, a => Assert.False(guard.Allowed(a, a.ToString()), $"{a} is this machine's"));
        Assert.All(own, a => Assert.True(guard.IsLocal(a), $"{a} is this machine's"));
    }

    [Fact]
    public void A_public_address_on_one_of_this_machines_interfaces_is_refused_and_the_list_is_refreshed()
    {
        var time = new FakeTimeProvider();
        IPAddress[] interfaces = [IPAddress.Parse("93.184.216.34")];
        var guard = Guard(time: time, local: () => interfaces);
        Assert.False(guard.Allowed(IPAddress.Parse("93.184.216.34"), "93.184.216.34"));
        Assert.False(guard.Allowed(IPAddress.Parse("::ffff:93.184.216.34"), "example"));
        Assert.False(guard.Allowed(IPAddress.Parse("2002:5db8:d822::1"), "example"));
        Assert.Contains("this machine", guard.CheckUrl("https://93.184.216.34/hooks"), StringComparison.Ordinal);

        // The interface goes away: after the short cache, the address is an ordinary public one again.
        interfaces = [IPAddress.Parse("8.8.8.8")];
        Assert.False(guard.Allowed(IPAddress.Parse("93.184.216.34"), "93.184.216.34"));
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.True(guard.Allowed(IPAddress.Parse("93.184.216.34"), "93.184.216.34"));
        Assert.False(guard.Allowed(IPAddress.Parse("8.8.8.8"), "8.8.8.8"));
    }

    [Fact]
    public void A_link_local_interface_address_is_this_machines_whatever_its_zone()
    {
        var guard = Guard(local: () => [IPAddress.Parse("fe80::fc:ff:fe00:1%2")]);
        Assert.True(guard.IsLocal(IPAddress.Parse("fe80::fc:ff:fe00:1")));
        Assert.True(guard.IsLocal(IPAddress.Parse("fe80::fc:ff:fe00:1%7")));
        Assert.False(guard.IsLocal(IPAddress.Parse("fe80::fc:ff:fe00:2")));
    }

    [Fact]
    public async Task The_machines_own_host_name_is_refused_when_an_endpoint_is_saved()
    {
        var refused = await Guard(new WebhookOptions { AllowHttp = true }).CheckUrlAsync($"https://{Dns.GetHostName()}/hooks", CancellationToken.None);
        Assert.NotNull(refused);
        Assert.Contains("this machine", refused, StringComparison.Ordinal);
        Assert.NotNull(await Guard().CheckUrlAsync("https://api.localhost/hooks", CancellationToken.None));
    }

    [Fact]
    public async Task AllowedHosts_and_AllowPrivateNetworks_still_let_loopback_through()
    {
        Assert.Null(await Guard(new WebhookOptions { AllowHttp = true, AllowedHosts = ["127.0.0.1"] }).CheckUrlAsync("http://127.0.0.1:9/hooks", CancellationToken.None));
        Assert.Null(await Guard(new WebhookOptions { AllowPrivateNetworks = true }).CheckUrlAsync($"https://{Dns.GetHostName()}/hooks", CancellationToken.None));
        Assert.NotNull(await Guard(new WebhookOptions { AllowHttp = true }).CheckUrlAsync("http://127.0.0.1:9/hooks", CancellationToken.None));
    }

    [Fact]
    public async Task The_connection_is_refused_before_any_connect_to_the_machine_itself()
    {
        // A listener on loopback shows that nothing reached it: the guard refuses before connecting.
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        var port = ((IPEndPoint)listener.LocalEndpoint).Port;
        var guard = Guard();
        foreach (var host in new[] { "127.0.0.1", Dns.GetHostName(), "localhost" })
        {
            var refused = await Assert.ThrowsAsync<HttpRequestException>(() => guard.ConnectAsync(new DnsEndPoint(host, port), CancellationToken.None).AsTask());
            Assert.Contains("refused", refused.Message, StringComparison.Ordinal);
        }

        Assert.False(listener.Pending());

        // Allowed through AllowedHosts, the same connection goes ahead.
        await using (await Guard(new WebhookOptions { AllowedHosts = ["127.0.0.1"] }).ConnectAsync(new DnsEndPoint("127.0.0.1", port), CancellationToken.None))
        {
            using var accepted = await listener.AcceptTcpClientAsync();
            Assert.True(accepted.Connected);
        }
    }
}
