namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>Base of test classes that need, per test, a fresh host, its SMTP relay and an admin client.</summary>
public abstract class AppWithSmtpTest : IAsyncLifetime
{
    protected SmtpTestServer Smtp { get; private set; } = null!;

    protected SendGateApp App { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    /// <summary>Settings on top of the fixture's defaults.</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    public async Task InitializeAsync()
    {
        Smtp = await SmtpTestServer.StartAsync();
        App = new SendGateApp(Smtp, Settings);
        Client = App.Admin();
    }

    public async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        await Smtp.DisposeAsync();
    }
}
