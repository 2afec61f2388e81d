using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing.Handlers;
using SendGate.IntegrationTests.Infrastructure;
using SendGate.IntegrationTests.Policies;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>
/// Two API hosts on one database, as behind a load balancer or across a restart: one browser (one
/// cookie jar) talks to both. The console's cookies are signed with the key ring in
/// SendGate:Console:KeyRingFolder, so a host sharing the folder takes the other's sessions and forms.
/// </summary>
public sealed partial class ConsoleKeyRingTests : IAsyncLifetime
{
    private const string Person = "hanako@example.co.jp";

    private SmtpTestServer _smtp = null!;
    private SendGateApp _first = null!;

    public async Task InitializeAsync()
    {
        _smtp = await SmtpTestServer.StartAsync();
        _first = new SendGateApp(_smtp);
        using var admin = _first.Admin();
        await admin.SetInternalDomainsAsync("example.co.jp");
    }

    public async Task DisposeAsync()
    {
        await _first.DisposeAsync();
        await _smtp.DisposeAsync();
    }

    [Fact]
    public async Task A_form_and_a_session_from_one_host_are_accepted_by_another_sharing_its_key_ring()
    {
        await using var second = new SendGateApp(_smtp, folder: _first.Folder, time: _first.Time);
        var cookies = new CookieContainer();
        using var onFirst = Browser(_first, cookies);
        using var onSecond = Browser(second, cookies);

        // The form is shown by the first host and posted to the second.
        var posted = await PostSignInFormAsync(onFirst, onSecond);
        Assert.Equal(HttpStatusCode.OK, posted.StatusCode);
        Assert.Contains("id=\"link-sent\"", await posted.Content.ReadAsStringAsync(), StringComparison.Ordinal);

        await onFirst.SignInByMailAsync(_first, _smtp, Person);
        var (status, html) = await onSecond.GetAsync("/console");
        Assert.Equal(HttpStatusCode.OK, status);
        Assert.Contains(Person, html, StringComparison.Ordinal);

        if (!OperatingSystem.IsWindows())
        {
            var folder = Path.Combine(_first.Folder, "keyring");
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute, File.GetUnixFileMode(folder));
            Assert.NotEmpty(Directory.GetFiles(folder, "key-*.xml"));
        }
    }

    [Fact]
    public async Task A_host_with_a_key_ring_of_its_own_refuses_the_others_form_and_session()
    {
        var own = Path.Combine(_first.Folder, "other-keyring");
        await using var second = new SendGateApp(_smtp, new Dictionary<string, string?> { ["SendGate:Console:KeyRingFolder"] = own },
            folder: _first.Folder, time: _first.Time);
        var cookies = new CookieContainer();
        using var onFirst = Browser(_first, cookies);
        using var onSecond = Browser(second, cookies);

        var posted = await PostSignInFormAsync(onFirst, onSecond);
        Assert.Equal(HttpStatusCode.BadRequest, posted.StatusCode);

        await onFirst.SignInByMailAsync(_first, _smtp, Person);
        var (status, _) = await onSecond.GetAsync("/console");
        Assert.Equal(HttpStatusCode.Redirect, status);
        Assert.True(Directory.Exists(own));
    }

    /// <summary>A browser over https, its cookies in <paramref name="cookies"/> (shared by the hosts under one name).</summary>
    private static ConsoleClient Browser(SendGateApp app, CookieContainer cookies) =>
        new(app.CreateDefaultClient(new Uri("https://localhost"), new CookieContainerHandler(cookies)));

    private static async Task<HttpResponseMessage> PostSignInFormAsync(ConsoleClient shows, ConsoleClient receives)
    {
        var (_, html) = await shows.GetAsync("/console/signin");
        var token = Token().Match(html);
        Assert.True(token.Success, html);
        return await receives.Http.PostAsync("/console/signin", new FormUrlEncodedContent(
        [
            new("__sendgate_af", WebUtility.HtmlDecode(token.Groups[1].Value)),
            new("Address", "someone@elsewhere.example"),
        ]));
    }

    [GeneratedRegex("name=\"__sendgate_af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();
}
