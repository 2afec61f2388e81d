using Microsoft.Playwright;

namespace SendGate.IntegrationTests.Browser;

/// <summary>
/// One headless Debian Chromium for the browser tests, driven by Playwright (its driver ships in
/// the NuGet package; nothing is downloaded). Each test gets contexts of its own: separate cookies.
/// </summary>
public sealed class Chromium : IAsyncLifetime
{
    private IPlaywright? _playwright;

    public IBrowser Browser { get; private set; } = null!;

    public async Task InitializeAsync()
    {
        _playwright = await Playwright.CreateAsync();
        Browser = await _playwright.Chromium.LaunchAsync(new BrowserTypeLaunchOptions
        {
            ExecutablePath = BrowserTools.Chromium,
            Headless = true,
            // The test machines run as root in containers: no sandbox there, and /dev/shm is small.
            Args = ["--no-sandbox", "--disable-dev-shm-usage"],
        });
    }

    public async Task DisposeAsync()
    {
        if (Browser is not null)
        {
            await Browser.DisposeAsync();
        }

        _playwright?.Dispose();
    }
}

/// <summary>The browser tests share one Chromium and run one after another (two cores, one browser).</summary>
[CollectionDefinition(Name)]
public sealed class BrowserCollection : ICollectionFixture<Chromium>
{
    public const string Name = "browser";
}
