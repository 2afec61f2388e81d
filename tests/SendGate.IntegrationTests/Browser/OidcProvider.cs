using System.Diagnostics;
using System.Text;

namespace SendGate.IntegrationTests.Browser;

/// <summary>
/// A real OpenID Connect provider (npm oidc-provider, tests/oidc-provider/provider.mjs) in its own
/// process on a free port of 127.0.0.1: its own login and consent pages, code flow with PKCE, one
/// confidential client. A login name "sato" signs in as sato@<see cref="EmailDomain"/>.
/// </summary>
public sealed class OidcProvider : IAsyncDisposable
{
    public static readonly string Folder = Path.Combine(BrowserTools.Root, "tests", "oidc-provider");

    public static readonly string Package = Path.Combine(Folder, "node_modules", "oidc-provider", "package.json");

    private readonly Process _process;
    private readonly StringBuilder _output = new();

    private OidcProvider(Process process, string emailDomain)
    {
        _process = process;
        EmailDomain = emailDomain;
    }

    public string Issuer { get; private set; } = "";

    public string ClientId { get; } = "sendgate-console";

    public string ClientSecret { get; } = "secret-" + Guid.NewGuid().ToString("N");

    public string EmailDomain { get; }

    /// <summary>Starts the provider for a client whose callbacks are <paramref name="redirectUris"/> (any loopback port).</summary>
    public static Task<OidcProvider> StartAsync(string emailDomain, params string[] redirectUris) => StartAsync(emailDomain, redirectUris, null);

    /// <summary>As above; <paramref name="userinfoOnlyClaim"/> is one more claim with the address that only the userinfo endpoint gives.</summary>
    public static async Task<OidcProvider> StartAsync(string emailDomain, string[] redirectUris, string? userinfoOnlyClaim)
    {
        var start = new ProcessStartInfo(BrowserTools.Node())
        {
            WorkingDirectory = Folder,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("provider.mjs");
        var process = new Process { StartInfo = start };
        var provider = new OidcProvider(process, emailDomain);
        start.Environment["CLIENT_ID"] = provider.ClientId;
        start.Environment["CLIENT_SECRET"] = provider.ClientSecret;
        start.Environment["REDIRECT_URIS"] = string.Join(' ', redirectUris);
        start.Environment["EMAIL_DOMAIN"] = emailDomain;
        if (userinfoOnlyClaim is not null)
        {
            start.Environment["USERINFO_ONLY_CLAIM"] = userinfoOnlyClaim;
        }

        var issuer = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                issuer.TrySetException(new InvalidOperationException($"the OIDC provider ended:\n{provider.Output}"));
                return;
            }

            provider.Append(e.Data);
            if (e.Data.StartsWith("OIDC_ISSUER=", StringComparison.Ordinal))
            {
                issuer.TrySetResult(e.Data["OIDC_ISSUER=".Length..]);
            }
        };
        process.ErrorDataReceived += (_, e) => provider.Append(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            provider.Issuer = await issuer.Task.WaitAsync(TimeSpan.FromSeconds(30));
        }
        catch
        {
            await provider.DisposeAsync();
            throw;
        }

        return provider;
    }

    public string Output
    {
        get
        {
            lock (_output)
            {
                return _output.ToString();
            }
        }
    }

    private void Append(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.AppendLine(line);
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (InvalidOperationException)
        {
            // It never started.
        }
        finally
        {
            _process.Dispose();
        }
    }
}
