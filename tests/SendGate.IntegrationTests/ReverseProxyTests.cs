using System.Net;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests;

/// <summary>
/// X-Forwarded-For and X-Forwarded-Proto over a real Kestrel port (the connection really comes
/// from 127.0.0.1): believed from a trusted proxy only. The client address is what the metrics
/// networks see; the scheme decides whether the form cookie is Secure.
/// </summary>
public sealed class ReverseProxyTests
{
    private const string Client = "203.0.113.7";

    [Fact]
    public async Task Behind_a_trusted_proxy_the_forwarded_client_address_and_https_are_believed()
    {
        await using var app = Started("127.0.0.1");
        using var http = app.CreateClient();

        Assert.Equal(HttpStatusCode.OK, (await Forwarded(http, "/metrics")).StatusCode);
        // Without the header the proxy itself is the client, and it is not in the metrics networks.
        Assert.Equal(HttpStatusCode.Forbidden, (await http.GetAsync("/metrics")).StatusCode);
        Assert.Contains("secure", FormCookie(await Forwarded(http, "/console/signin")), StringComparison.OrdinalIgnoreCase);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("10.0.0.1")]
    public async Task Forwarded_headers_from_anyone_but_a_trusted_proxy_are_ignored(string? trusted)
    {
        await using var app = Started(trusted);
        using var http = app.CreateClient();

        Assert.Equal(HttpStatusCode.Forbidden, (await Forwarded(http, "/metrics")).StatusCode);
        Assert.DoesNotContain("secure", FormCookie(await Forwarded(http, "/console/signin")), StringComparison.OrdinalIgnoreCase);
    }

    private static SendGateApp Started(string? trustedProxy)
    {
        var settings = new Dictionary<string, string?> { ["SendGate:Telemetry:MetricsNetworks:0"] = "203.0.113.0/24" };
        if (trustedProxy is not null)
        {
            settings["SendGate:ReverseProxy:TrustedProxies:0"] = trustedProxy;
        }

        var app = new SendGateApp(settings: settings);
        app.UseKestrel(0);
        app.StartServer();
        return app;
    }

    /// <summary>A request as the proxy forwards it: plain http from 127.0.0.1, for a client that came over https.</summary>
    private static Task<HttpResponseMessage> Forwarded(HttpClient http, string path)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.Add("X-Forwarded-For", Client);
        request.Headers.Add("X-Forwarded-Proto", "https");
        return http.SendAsync(request);
    }

    private static string FormCookie(HttpResponseMessage response)
    {
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return response.Headers.GetValues("Set-Cookie").Single(c => c.StartsWith("sendgate-af=", StringComparison.Ordinal));
    }
}
