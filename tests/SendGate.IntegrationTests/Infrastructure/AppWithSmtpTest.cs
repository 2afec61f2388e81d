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

/// <summary>Base of test classes that need a webhook receiver on 127.0.0.1 that SendGate is allowed to post to.</summary>
public abstract class AppWithWebhookReceiverTest : AppTest
{
    protected WebhookReceiver Receiver { get; private set; } = null!;

    /// <summary>Plain http to 127.0.0.1 is allowed; <see cref="MoreSettings"/> adds to it.</summary>
    protected sealed override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>
            {
                ["SendGate:Webhooks:AllowHttp"] = "true",
                ["SendGate:Webhooks:AllowedHosts:0"] = "127.0.0.1",
            };
            foreach (var (key, value) in MoreSettings)
            {
                settings[key] = value;
            }

            return settings;
        }
    }

    protected virtual IDictionary<string, string?> MoreSettings => new Dictionary<string, string?>();

    public override async Task InitializeAsync()
    {
        Receiver = new WebhookReceiver();
        await base.InitializeAsync();
    }

    public override async Task DisposeAsync()
    {
        await base.DisposeAsync();
        await Receiver.DisposeAsync();
    }
}
