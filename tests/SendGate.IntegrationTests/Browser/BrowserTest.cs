using System.Net.Http.Json;
using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.Extensions.Time.Testing;
using Microsoft.Playwright;
using SendGate.IntegrationTests.Infrastructure;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Browser;

/// <summary>
/// Base of the browser tests: the real API host on a real Kestrel port of 127.0.0.1 over its own
/// SQLite file, a real SMTP server, and pages opened in Chromium as a person would. The clock is
/// a <see cref="FakeTimeProvider"/> started at the real time, so the cookies it dates are valid in
/// the browser; tests move it on instead of waiting.
/// </summary>
[Collection(BrowserCollection.Name)]
public abstract partial class BrowserTest(Chromium chromium) : IAsyncLifetime
{
    /// <summary>Where screenshots go when set (docs/screenshots holds the ones the README shows).</summary>
    public const string ScreenshotVariable = "SENDGATE_TEST_SCREENSHOTS";

    public static readonly ViewportSize Desktop = new() { Width = 1280, Height = 900 };

    public static readonly ViewportSize Phone = new() { Width = 390, Height = 844 };

    private readonly List<IBrowserContext> _contexts = [];

    protected SendGateApp App { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    protected SmtpTestServer Smtp { get; private set; } = null!;

    /// <summary>The console's origin, e.g. http://127.0.0.1:41283.</summary>
    protected string BaseUrl { get; private set; } = "";

    protected virtual IDictionary<string, string?>? Settings => null;

    public virtual async Task InitializeAsync()
    {
        Smtp = await SmtpTestServer.StartAsync();
        App = new SendGateApp(Smtp, Settings, time: new FakeTimeProvider(DateTimeOffset.UtcNow));
        App.UseKestrel(0);
        App.StartServer();
        BaseUrl = App.ClientOptions.BaseAddress.GetLeftPart(UriPartial.Authority);
        Client = App.Admin();
    }

    public virtual async Task DisposeAsync()
    {
        foreach (var context in _contexts)
        {
            await context.DisposeAsync();
        }

        Client.Dispose();
        await App.DisposeAsync();
        await Smtp.DisposeAsync();
    }

    /// <summary>A fresh browser window (its own cookies) at <paramref name="viewport"/>.</summary>
    protected async Task<IPage> OpenAsync(ViewportSize? viewport = null, bool isMobile = false)
    {
        var context = await chromium.Browser.NewContextAsync(new BrowserNewContextOptions
        {
            ViewportSize = viewport ?? Desktop,
            IsMobile = isMobile,
            HasTouch = isMobile,
            DeviceScaleFactor = isMobile ? 2 : 1,
            Locale = "ja-JP",
            TimezoneId = "Asia/Tokyo",
        });
        _contexts.Add(context);
        context.SetDefaultTimeout(15_000);
        return await context.NewPageAsync();
    }

    protected Task<IResponse?> GoAsync(IPage page, string path) => page.GotoAsync(BaseUrl + path);

    /// <summary>Asks for a sign-in link on the page, lets the worker mail it, opens it from the mail and signs in.</summary>
    protected async Task SignInByMailAsync(IPage page, string address)
    {
        await GoAsync(page, "/console/signin");
        await page.FillAsync("#address", address);
        await page.ClickAsync("#sign-in");
        await page.Locator("#link-sent").WaitForAsync();
        await App.DeliverNotificationsAsync();
        var mail = Smtp.Received.Last(r => r.To.Contains(address)).Parse();
        await OpenLinkAsync(page, mail.TextBody);
        await page.Locator("#signed-in-as").WaitForAsync();
        Assert.Equal(address, await page.Locator("#signed-in-as").InnerTextAsync());
    }

    /// <summary>Opens the console link in a mail's text (its path, on this test's port) and confirms it.</summary>
    protected async Task OpenLinkAsync(IPage page, string? text)
    {
        await GoAsync(page, ConsoleLinkPath(text));
        await page.ClickAsync("#link-continue");
    }

    /// <summary>The path of the console link in a mail's text.</summary>
    protected static string ConsoleLinkPath(string? text)
    {
        var match = ConsoleLink().Match(text ?? "");
        Assert.True(match.Success, text);
        return match.Groups[1].Value;
    }

    protected async Task<string> StatusAsync(string id) => (await (await Client.GetAsync($"/v1/messages/{id}")).JsonAsync()).Str("status");

    /// <summary>Submits through the API, on a clock caught up with the browser's (so countdowns read as a person would see them).</summary>
    protected async Task<string> SubmitAsync(params (string Key, object? Value)[] fields)
    {
        if (DateTimeOffset.UtcNow > App.Time.GetUtcNow())
        {
            App.Time.SetUtcNow(DateTimeOffset.UtcNow);
        }

        var submitted = await Client.PostAsJsonAsync("/v1/messages", Mail(fields));
        Assert.Equal(System.Net.HttpStatusCode.Accepted, submitted.StatusCode);
        return (await submitted.JsonAsync()).Str("id");
    }

    protected async Task<JsonElement> TenantAsync() => await (await Client.GetAsync("/v1/tenant")).JsonAsync();

    /// <summary>Saves a screenshot of <paramref name="page"/> under <see cref="ScreenshotVariable"/>, when set.</summary>
    protected static async Task ScreenshotAsync(IPage page, string name)
    {
        if (Environment.GetEnvironmentVariable(ScreenshotVariable) is { Length: > 0 } folder)
        {
            Directory.CreateDirectory(folder);
            await page.ScreenshotAsync(new PageScreenshotOptions { Path = Path.Combine(folder, name + ".png"), FullPage = true });
        }
    }

    [GeneratedRegex(@"https?://[^/\s]+(/console/link/[A-Za-z0-9_-]{43})")]
    private static partial Regex ConsoleLink();
}
