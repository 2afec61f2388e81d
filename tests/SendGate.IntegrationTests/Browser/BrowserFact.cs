using SendGate.IntegrationTests.Contract;
using SendGate.Tests.ExternalTools;

namespace SendGate.IntegrationTests.Browser;

/// <summary>
/// A test driven through Debian's Chromium (<c>apt-get install chromium</c>) that signs in through
/// the local OpenID Connect provider in tests/oidc-provider (<c>npm ci</c> there); CI installs both.
/// Skipped with the reason where either is missing, except with CI=true, where it runs and fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class BrowserFactAttribute : ReasonedFactAttribute
{
    public BrowserFactAttribute()
    {
        Skip = ExternalTool.SkipReason("chromium")
            ?? (File.Exists(OidcProvider.Package) || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
                ? null
                : $"the OpenID Connect provider is not installed in {OidcProvider.Folder} (run npm ci there).");
    }
}

/// <summary>Where the browser tests find their tools.</summary>
internal static class BrowserTools
{
    public const string Chromium = "/usr/bin/chromium";

    /// <summary>
    /// The Node.js that Microsoft.Playwright ships in the build output (a supported runtime for
    /// oidc-provider, whatever the machine has); the machine's <c>node</c> otherwise.
    /// </summary>
    public static string Node()
    {
        var bundled = Path.Combine(AppContext.BaseDirectory, ".playwright", "node", OperatingSystem.IsLinux() ? "linux-x64" : "unknown", "node");
        return File.Exists(bundled) ? bundled : "node";
    }

    public static string Root => OpenApiContractTests.RepositoryRoot();
}
