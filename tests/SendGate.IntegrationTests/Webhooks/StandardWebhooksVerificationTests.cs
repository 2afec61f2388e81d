using System.Net.Http.Json;
using System.Text.Json;
using SendGate.IntegrationTests.Infrastructure;
using SendGate.Tests.ExternalTools;
using static SendGate.IntegrationTests.Infrastructure.HttpJson;

namespace SendGate.IntegrationTests.Webhooks;

/// <summary>
/// Needs Node and the official <c>standardwebhooks</c> package in tests/webhook-verifier
/// (<c>npm install</c> there; CI does it). Skipped with the reason where they are missing,
/// except with CI=true, where it runs and fails.
/// </summary>
[AttributeUsage(AttributeTargets.Method)]
public sealed class StandardWebhooksFactAttribute : ReasonedFactAttribute
{
    public StandardWebhooksFactAttribute()
    {
        Skip = ExternalTool.SkipReason("node")
            ?? (Directory.Exists(Path.Combine(StandardWebhooksVerificationTests.VerifierFolder, "node_modules", "standardwebhooks"))
                || string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase)
                ? null
                : $"the standardwebhooks npm package is not installed in {StandardWebhooksVerificationTests.VerifierFolder} (run npm install there).");
    }
}

/// <summary>A captured delivery is checked by the official Standard Webhooks library, and a tampered one refused.</summary>
public sealed class StandardWebhooksVerificationTests : AppWithWebhookReceiverTest
{
    public static readonly string VerifierFolder = Path.Combine(Contract.OpenApiContractTests.RepositoryRoot(), "tests", "webhook-verifier");

    [StandardWebhooksFact]
    public async Task The_official_library_verifies_our_signature_and_refuses_a_tampered_body()
    {
        var created = await (await Client.PostAsJsonAsync("/v1/webhooks", new { url = Receiver.Url, eventTypes = new[] { "message.accepted" } })).JsonAsync();
        var secret = created.Str("secret");
        await Client.PostAsJsonAsync("/v1/messages", Mail(("subject", "署名の確認")));
        Assert.Equal(1, await App.DeliverWebhooksAsync());
        var hook = Assert.Single(Receiver.Received);

        var valid = Verify(secret, hook.Id, hook.Timestamp, hook.Signature, hook.Body);
        Assert.True(valid.ExitCode == 0, valid.ToString());
        Assert.Contains("message.accepted", hook.Body, StringComparison.Ordinal);
        var tampered = Verify(secret, hook.Id, hook.Timestamp, hook.Signature, hook.Body.Replace("message.accepted", "message.rejected", StringComparison.Ordinal));
        Assert.True(tampered.ExitCode != 0, tampered.ToString());
        var otherSecret = Verify("whsec_" + Convert.ToBase64String(new byte[24]), hook.Id, hook.Timestamp, hook.Signature, hook.Body);
        Assert.True(otherSecret.ExitCode != 0, otherSecret.ToString());
    }

    private static ToolRun Verify(string secret, string id, string timestamp, string signature, string body)
    {
        var file = Path.Combine(Directory.CreateTempSubdirectory("sendgate-hook-").FullName, "hook.json");
        File.WriteAllText(file, JsonSerializer.Serialize(new { secret, id, timestamp, signature, body }));
        return ExternalTool.Run("node", [Path.Combine(VerifierFolder, "verify.js"), file], VerifierFolder);
    }
}
