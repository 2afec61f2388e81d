namespace SendGate.IntegrationTests.Infrastructure;

/// <summary>Base of test classes that need, per test, a fresh host and an admin client.</summary>
public abstract class AppTest : IAsyncLifetime
{
    protected SendGateApp App { get; private set; } = null!;

    protected HttpClient Client { get; private set; } = null!;

    /// <summary>The SMTP relay, when <see cref="WithRelay"/>; otherwise delivery goes to the pickup folder.</summary>
    protected SmtpTestServer Smtp { get; private set; } = null!;

    protected virtual bool WithRelay => false;

    /// <summary>Settings on top of the fixture's defaults.</summary>
    protected virtual IDictionary<string, string?>? Settings => null;

    public virtual async Task InitializeAsync()
    {
        if (WithRelay)
        {
            Smtp = await SmtpTestServer.StartAsync();
        }

        App = new SendGateApp(WithRelay ? Smtp : null, Settings);
        Client = App.Admin();
    }

    public virtual async Task DisposeAsync()
    {
        Client.Dispose();
        await App.DisposeAsync();
        if (WithRelay)
        {
            await Smtp.DisposeAsync();
        }
    }
}

/// <summary>Base of test classes that also need a real SMTP relay on 127.0.0.1.</summary>
public abstract class AppWithSmtpTest : AppTest
{
    protected override bool WithRelay => true;
}
