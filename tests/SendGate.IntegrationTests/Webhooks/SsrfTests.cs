using System.Net;
using System.Net.Http.Json;
using SendGate.Core.Webhooks;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.Webhooks;

/// <summary>With the defaults, webhooks cannot be aimed at SendGate's own network.</summary>
public sealed class SsrfTests : AppTest
{
    [Theory]
    [InlineData("http://example.com/hooks")]
    [InlineData("https://169.254.169.254/latest/meta-data")]
    [InlineData("https://10.0.0.5/hooks")]
    [InlineData("https://192.168.1.10/hooks")]
    [InlineData("https://172.20.0.1/hooks")]
    [InlineData("https://127.0.0.1/hooks")]
    [InlineData("https://[::1]/hooks")]
    [InlineData("https://[fd00::1]/hooks")]
    [InlineData("https://localhost/hooks")]
    [InlineData("https://user:pass@example.com/hooks")]
    [InlineData("ftp://example.com/hooks")]
    public async Task Internal_plain_http_and_odd_urls_are_refused(string url)
    {
        var response = await Client.PostAsJsonAsync("/v1/webhooks", new { url });
        await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "url");
    }

    [Fact]
    public async Task This_machines_own_host_name_and_interface_addresses_are_refused()
    {
        var own = System.Net.NetworkInformation.NetworkInterface.GetAllNetworkInterfaces()
            .SelectMany(i => i.GetIPProperties().UnicastAddresses).Select(u => u.Address).ToList();
        var urls = own.Select(a => $"https://{(a.AddressFamily == System.Net.Sockets.AddressFamily.InterNetworkV6 ? $"[{new IPAddress(a.GetAddressBytes())}]" : a.ToString())}/hooks")
            .Prepend($"https://{Dns.GetHostName()}/hooks");
        foreach (var url in urls)
        {
            var response = await Client.PostAsJsonAsync("/v1/webhooks", new { url });
            var problem = await response.ProblemAsync(HttpStatusCode.BadRequest, "invalid-field", "url");
            Assert.Contains("this machine", problem.ToString(), StringComparison.Ordinal);
        }

        Assert.Empty((await (await Client.GetAsync("/v1/webhooks")).JsonAsync()).GetProperty("items").EnumerateArray());
    }

    [Fact]
    public async Task A_public_https_url_is_accepted()
    {
        var response = await Client.PostAsJsonAsync("/v1/webhooks", new { url = "https://hooks.example.com/sendgate" });
        Assert.Equal(HttpStatusCode.Created, response.StatusCode);
    }

    [Fact]
    public async Task Connections_resolve_first_and_refuse_names_that_lead_inside()
    {
        // A name passes the URL check, but it resolves to loopback: the connection is refused.
        var guard = App.Service<SsrfGuard>();
        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => guard.ConnectAsync(new DnsEndPoint("localhost", 80), CancellationToken.None).AsTask());
        Assert.Contains("internal", refused.Message, StringComparison.Ordinal);
    }
}
