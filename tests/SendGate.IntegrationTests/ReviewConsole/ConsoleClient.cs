using System.Net;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Mvc.Testing;
using SendGate.IntegrationTests.Infrastructure;

namespace SendGate.IntegrationTests.ReviewConsole;

/// <summary>
/// A person's browser without the browser: cookies kept, forms posted with the page's anti-forgery
/// token, over https (the console's cookies are Secure). The browser tests drive a real Chromium.
/// </summary>
public sealed partial class ConsoleClient(HttpClient http) : IDisposable
{
    public HttpClient Http { get; } = http;

    public static ConsoleClient For(WebApplicationFactory<Program> app) =>
        new(app.CreateClient(new WebApplicationFactoryClientOptions { BaseAddress = new Uri("https://localhost"), AllowAutoRedirect = false, HandleCookies = true }));

    public async Task<(HttpStatusCode Status, string Html)> GetAsync(string path)
    {
        var response = await Http.GetAsync(path);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }

    /// <summary>Posts <paramref name="fields"/> to <paramref name="action"/> with the token of the form on <paramref name="page"/>.</summary>
    public async Task<HttpResponseMessage> PostFormAsync(string page, string action, params (string Name, string Value)[] fields)
    {
        var (_, html) = await GetAsync(page);
        var token = Token().Match(html);
        Assert.True(token.Success, $"no anti-forgery token on {page}:\n{html}");
        var values = new List<KeyValuePair<string, string>> { new("__sendgate_af", WebUtility.HtmlDecode(token.Groups[1].Value)) };
        values.AddRange(fields.Select(f => new KeyValuePair<string, string>(f.Name, f.Value)));
        return await Http.PostAsync(action, new FormUrlEncodedContent(values));
    }

    /// <summary>Signs in through a mail link: asks for it, lets the worker send it, follows it.</summary>
    public async Task SignInByMailAsync(SendGateApp app, SmtpTestServer smtp, string address)
    {
        var asked = await PostFormAsync("/console/signin", "/console/signin", ("Address", address));
        Assert.Equal(HttpStatusCode.OK, asked.StatusCode);
        await app.DeliverNotificationsAsync();
        var mail = smtp.Received.Last(r => r.To.Contains(address)).Parse();
        var link = LinkIn(mail.TextBody);
        var signedIn = await PostFormAsync(link, link);
        Assert.Equal(HttpStatusCode.Redirect, signedIn.StatusCode);
    }

    public static string LinkIn(string? text)
    {
        var match = ConsoleLink().Match(text ?? "");
        Assert.True(match.Success, text);
        return match.Groups[1].Value;
    }

    public void Dispose() => Http.Dispose();

    [GeneratedRegex("name=\"__sendgate_af\" type=\"hidden\" value=\"([^\"]+)\"")]
    private static partial Regex Token();

    [GeneratedRegex(@"https?://[^/\s]+(/console/link/[A-Za-z0-9_-]{43})")]
    private static partial Regex ConsoleLink();
}
