using SendGate.Tests.ExternalTools;

namespace SendGate.IntegrationTests.Contract;

/// <summary>
/// Needs Node and the pinned Redocly CLI in tests/openapi-lint (<c>npm ci</c> there; CI does it).
/// Skipped with the reason where they are missing, except with CI=true, where it runs and fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class RedoclyFactAttribute : ReasonedFactAttribute
{
    public RedoclyFactAttribute()
    {
        Skip = ExternalTool.SkipReason("node")
            ?? (File.Exists(OpenApiLintTests.Cli) || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
                ? null
                : $"the Redocly CLI is not installed in {OpenApiLintTests.Folder} (run npm ci there).");
    }
}

/// <summary>The published contract passes Redocly's recommended rules (redocly.yaml; reasoned exceptions in .redocly.lint-ignore.yaml).</summary>
public sealed class OpenApiLintTests
{
    public static readonly string Folder = Path.Combine(OpenApiContractTests.RepositoryRoot(), "tests", "openapi-lint");

    public static readonly string Cli = Path.Combine(Folder, "node_modules", "@redocly", "cli", "bin", "cli.js");

    [RedoclyFact]
    public void Openapi_yaml_lints_without_an_error_or_a_warning()
    {
        var run = ExternalTool.Run("node", [Cli, "lint", "openapi.yaml", "--format=stylish"], OpenApiContractTests.RepositoryRoot(),
            new Dictionary<string, string>
            {
                // Nothing leaves the machine: no usage report, no look-up of a newer version.
                ["REDOCLY_TELEMETRY"] = "off",
                ["REDOCLY_SUPPRESS_UPDATE_NOTICE"] = "true",
            });

        Assert.True(run.ExitCode == 0, run.ToString());
        var findings = (run.StdOut + "\n" + run.StdErr).Split('\n')
            .Where(line => line.Contains(" error ", StringComparison.Ordinal) || line.Contains(" warning ", StringComparison.Ordinal)).ToList();
        Assert.True(findings.Count == 0, run.ToString());
    }
}
