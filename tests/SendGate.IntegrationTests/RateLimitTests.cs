using System.Net;
using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Mvc.Testing;
using Microsoft.AspNetCore.TestHost;
using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Tenants;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests;

/// <summary>
/// Rate limits, with limits low enough to meet and windows long enough (an hour) that none
/// resets during a test: the n+1st request is refused whatever the machine's speed. The in-memory
/// test server has no remote address; here a test-only filter takes it from a request header.
/// </summary>
public sealed partial class RateLimitTests : AppTest
{
    internal const string AddressHeader = "X-Test-Remote-Address";

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["SendGate:RateLimits:SubmitPerKey:PermitLimit"] = "3",
        ["SendGate:RateLimits:SubmitPerKey:Window"] = "01:00:00",
        ["SendGate:RateLimits:SubmitPerTenant:PermitLimit"] = "5",
        ["SendGate:RateLimits:SubmitPerTenant:Window"] = "01:00:00",
        ["SendGate:RateLimits:AuthFailuresPerAddress:PermitLimit"] = "3",
        ["SendGate:RateLimits:AuthFailuresPerAddress:Window"] = "01:00:00",
        ["SendGate:RateLimits:ApprovalLinksPerAddress:PermitLimit"] = "3",
        ["SendGate:RateLimits:ApprovalLinksPerAddress:Window"] = "01:00:00",
        ["SendGate:RateLimits:DownloadLinksPerAddress:PermitLimit"] = "2",
        ["SendGate:RateLimits:DownloadLinksPerAddress:Window"] = "01:00:00",
    };

    [Fact]
    public async Task A_key_over_its_limit_is_refused_while_another_key_of_the_tenant_is_not()
    {
        await using var host = Host();
        using var a = KeyClient(host, await App.CreateKeyAsync(Roles.Sender));
        using var b = KeyClient(host, await App.CreateKeyAsync(Roles.Sender));

        Assert.Equal(HttpStatusCode.Accepted, (await a.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await a.PostAsJsonAsync("/v1/policies/evaluate", Mail())).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await a.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);
        var refused = await a.PostAsJsonAsync("/v1/messages", Mail(("subject", "fourth")));
        var dryRun = await a.PostAsJsonAsync("/v1/policies/evaluate", Mail());

        var problem = await AssertLimitedAsync(refused, "submit-key", 3, 3600);
        Assert.Equal("submit-key", problem.Str("policy"));
        await AssertLimitedAsync(dryRun, "submit-key", 3, 3600);
        Assert.Equal(HttpStatusCode.Accepted, (await b.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);
        // Reading is not a submission: the refused key still works for everything else.
        Assert.Equal(HttpStatusCode.OK, (await a.GetAsync("/v1/tenant")).StatusCode);
        using var admin = KeyClient(host, SendGateApp.AdminKey);
        var subjects = (await (await admin.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray().Select(m => m.Str("subject")).ToList();
        Assert.Equal(3, subjects.Count);
        Assert.DoesNotContain("fourth", subjects);
    }

    [Fact]
    public async Task The_tenants_keys_together_are_refused_at_the_tenant_limit_and_told_so()
    {
        await using var host = Host();
        using var a = KeyClient(host, await App.CreateKeyAsync(Roles.Sender));
        using var b = KeyClient(host, await App.CreateKeyAsync(Roles.Sender));
        using var c = KeyClient(host, await App.CreateKeyAsync(Roles.Sender));

        // 3 + 2 = the tenant's 5; no key is at its own 3.
        for (var i = 0; i < 3; i++)
        {
            Assert.Equal(HttpStatusCode.Accepted, (await a.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);
        }

        Assert.Equal(HttpStatusCode.Accepted, (await b.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);
        Assert.Equal(HttpStatusCode.Accepted, (await b.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);

        // Every refusal names the tenant's limit: a request the tenant refused costs its key nothing,
        // however often it is retried, so b (at 2 of 3) and c (at 0) are never told their key's limit.
        for (var i = 0; i < 4; i++)
        {
            var problem = await AssertLimitedAsync(await b.PostAsJsonAsync("/v1/messages", Mail(("subject", "over"))), "submit-tenant", 5, 3600);
            Assert.Equal("submit-tenant", problem.Str("policy"));
            Assert.Contains("tenant", problem.Str("detail"));
            await AssertLimitedAsync(await c.PostAsJsonAsync("/v1/policies/evaluate", Mail()), "submit-tenant", 5, 3600);
        }

        // A key at its own limit is told its own limit, which it met first.
        await AssertLimitedAsync(await a.PostAsJsonAsync("/v1/messages", Mail()), "submit-key", 3, 3600);
        using var admin = KeyClient(host, SendGateApp.AdminKey);
        var subjects = (await (await admin.GetAsync("/v1/messages")).JsonAsync()).GetProperty("items").EnumerateArray().Select(m => m.Str("subject")).ToList();
        Assert.Equal(5, subjects.Count);
        Assert.DoesNotContain("over", subjects);
    }

    [Fact]
    public async Task Failed_authentications_from_one_address_are_refused_before_any_key_is_looked_up()
    {
        await using var host = Host();
        var valid = await App.CreateKeyAsync(Roles.Sender);
        using var guesser = KeyClient(host, "sg_guess_0000000000000000000000", "192.0.2.7");

        for (var i = 0; i < 3; i++)
        {
            await (await guesser.GetAsync("/v1/messages")).ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        }

        var refused = await guesser.GetAsync("/v1/messages");

        await AssertLimitedAsync(refused, "auth-failures", 3, 3600);
        Assert.False(refused.Headers.Contains("WWW-Authenticate"));
        // A valid key from that address is refused too: telling it apart would take the lookup the limit spares.
        using var sameAddress = KeyClient(host, valid, "192.0.2.7");
        await AssertLimitedAsync(await sameAddress.PostAsJsonAsync("/v1/messages", Mail()), "auth-failures", 3, 3600);
        using var elsewhere = KeyClient(host, valid, "192.0.2.8");
        Assert.Equal(HttpStatusCode.Accepted, (await elsewhere.PostAsJsonAsync("/v1/messages", Mail())).StatusCode);
        using var wrongElsewhere = KeyClient(host, "sg_guess_1111111111111111111111", "192.0.2.8");
        await (await wrongElsewhere.GetAsync("/v1/messages")).ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Guessing_operator_keys_is_cut_short_per_address_as_guessing_tenant_keys()
    {
        await using var host = Host();
        var (_, secret) = await App.Service<OperatorKeys>().CreateAsync("ops");
        using var guesser = KeyClient(host, OperatorKeys.Prefix + "guess_000000000000000000000", "192.0.2.9");
        for (var i = 0; i < 3; i++)
        {
            await (await guesser.GetAsync("/v1/operator/tenants")).ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        }

        await AssertLimitedAsync(await guesser.GetAsync("/v1/operator/tenants"), "auth-failures", 3, 3600);
        using var sameAddress = KeyClient(host, secret, "192.0.2.9");
        await AssertLimitedAsync(await sameAddress.GetAsync("/v1/operator/tenants"), "auth-failures", 3, 3600);
        using var elsewhere = KeyClient(host, secret, "192.0.2.10");
        Assert.Equal(HttpStatusCode.OK, (await elsewhere.GetAsync("/v1/operator/tenants")).StatusCode);
    }

    [Fact]
    public async Task An_IPv6_client_counts_by_its_64_bit_prefix()
    {
        await using var host = Host();
        for (var i = 1; i <= 3; i++)
        {
            using var guesser = KeyClient(host, "sg_guess_0000000000000000000000", $"2001:db8:1:2::{i}");
            await (await guesser.GetAsync("/v1/tenant")).ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
        }

        using var sameNetwork = KeyClient(host, "sg_guess_0000000000000000000000", "2001:db8:1:2:ffff::9");
        using var otherNetwork = KeyClient(host, "sg_guess_0000000000000000000000", "2001:db8:1:3::1");

        await AssertLimitedAsync(await sameNetwork.GetAsync("/v1/tenant"), "auth-failures", 3, 3600);
        await (await otherNetwork.GetAsync("/v1/tenant")).ProblemAsync(HttpStatusCode.Unauthorized, "unauthorized");
    }

    [Fact]
    public async Task Approval_links_from_one_address_are_limited_with_a_readable_page()
    {
        await using var host = Host();
        using var browser = host.CreateClient();
        browser.DefaultRequestHeaders.Add(AddressHeader, "198.51.100.4");
        var token = "/approve/" + new string('x', 43);

        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync(token)).StatusCode);
        Assert.Equal(HttpStatusCode.Gone, (await browser.GetAsync(token)).StatusCode);
        using var form = new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = "approve" });
        Assert.Equal(HttpStatusCode.Gone, (await browser.PostAsync(token, form)).StatusCode);
        var refused = await browser.GetAsync(token);
        var refusedPost = await browser.PostAsync(token, new FormUrlEncodedContent(new Dictionary<string, string> { ["decision"] = "approve" }));

        foreach (var response in new[] { refused, refusedPost })
        {
            Assert.Equal(HttpStatusCode.TooManyRequests, response.StatusCode);
            Assert.Equal("text/html", response.Content.Headers.ContentType?.MediaType);
            AssertHeaders(response, "approval-links", 3, 3600);
            var page = await response.Content.ReadAsStringAsync();
            Assert.Contains("アクセスが集中しています", page);
            Assert.Contains("Nothing was decided.", page);
            Assert.Equal("no-store", response.Headers.CacheControl?.ToString());
        }

        using var otherBrowser = host.CreateClient();
        otherBrowser.DefaultRequestHeaders.Add(AddressHeader, "198.51.100.5");
        Assert.Equal(HttpStatusCode.Gone, (await otherBrowser.GetAsync(token)).StatusCode);
    }

    [Fact]
    public async Task Guessing_download_tokens_meets_a_per_address_limit_with_a_readable_page()
    {
        await using var host = Host();
        using var browser = host.CreateClient();
        browser.DefaultRequestHeaders.Add(AddressHeader, "198.51.100.6");

        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/download/" + SendGate.Core.LinkTokens.Create())).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await browser.GetAsync("/download/" + SendGate.Core.LinkTokens.Create() + "/files/0")).StatusCode);
        using var refused = await browser.GetAsync("/download/" + SendGate.Core.LinkTokens.Create());

        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        Assert.Equal("text/html", refused.Content.Headers.ContentType?.MediaType);
        AssertHeaders(refused, "download-links", 2, 3600);
        Assert.Contains("ダウンロードリンクへのアクセスが多すぎます", await refused.Content.ReadAsStringAsync());

        using var otherBrowser = host.CreateClient();
        otherBrowser.DefaultRequestHeaders.Add(AddressHeader, "198.51.100.7");
        Assert.Equal(HttpStatusCode.NotFound, (await otherBrowser.GetAsync("/download/" + SendGate.Core.LinkTokens.Create())).StatusCode);
    }

    private WebApplicationFactory<Program> Host() =>
        App.WithWebHostBuilder(b => b.ConfigureTestServices(s => s.AddSingleton<IStartupFilter, RemoteAddressFromHeader>()));

    private static HttpClient KeyClient(WebApplicationFactory<Program> host, string apiKey, string? address = null)
    {
        var client = host.CreateClient();
        client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", apiKey);
        if (address is not null)
        {
            client.DefaultRequestHeaders.Add(AddressHeader, address);
        }

        return client;
    }

    private static async Task<System.Text.Json.JsonElement> AssertLimitedAsync(HttpResponseMessage response, string policy, int quota, int window)
    {
        var problem = await response.ProblemAsync(HttpStatusCode.TooManyRequests, "rate-limited");
        AssertHeaders(response, policy, quota, window);
        Assert.Equal(response.Headers.RetryAfter!.Delta!.Value.TotalSeconds, problem.GetProperty("retryAfter").GetInt64());
        return problem;
    }

    /// <summary>Retry-After, and RateLimit-Policy / RateLimit as draft-ietf-httpapi-ratelimit-headers-10 writes them.</summary>
    private static void AssertHeaders(HttpResponseMessage response, string policy, int quota, int window)
    {
        var retryAfter = response.Headers.RetryAfter?.Delta;
        Assert.NotNull(retryAfter);
        Assert.InRange(retryAfter.Value.TotalSeconds, 1, window);
        Assert.Equal($"\"{policy}\";q={quota};w={window}", Assert.Single(response.Headers.GetValues("RateLimit-Policy")));
        var current = RateLimitField().Match(Assert.Single(response.Headers.GetValues("RateLimit")));
        Assert.True(current.Success, string.Join(", ", response.Headers.GetValues("RateLimit")));
        Assert.Equal(policy, current.Groups["name"].Value);
        Assert.Equal(retryAfter.Value.TotalSeconds, long.Parse(current.Groups["t"].Value, System.Globalization.CultureInfo.InvariantCulture));
    }

    [GeneratedRegex("""^"(?<name>[a-z-]+)";r=0;t=(?<t>\d+)$""")]
    private static partial Regex RateLimitField();

    /// <summary>Test only: the remote address from a header, as Kestrel would give it from the connection.</summary>
    internal sealed class RemoteAddressFromHeader : IStartupFilter
    {
        public Action<IApplicationBuilder> Configure(Action<IApplicationBuilder> next) => app =>
        {
            app.Use((context, proceed) =>
            {
                if (context.Request.Headers.TryGetValue(AddressHeader, out var address))
                {
                    context.Connection.RemoteIpAddress = IPAddress.Parse(address.ToString());
                }

                return proceed(context);
            });
            next(app);
        };
    }
}
