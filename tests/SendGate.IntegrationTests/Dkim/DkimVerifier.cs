using System.Text.Json;
using SendGate.IntegrationTests.Contract;
using SendGate.IntegrationTests.Infrastructure;
using SendGate.Tests.ExternalTools;

namespace SendGate.IntegrationTests.Dkim;

/// <summary>dkimpy's verdict on one DKIM-Signature header, top first.</summary>
public sealed record DkimVerdict(int Index, string D, string S, bool Verified, string? Error);

/// <summary>
/// dkimpy (Debian's python3-dkim, independent of MimeKit) over a message, with the DNS given as
/// <c>name=value</c> TXT records (a key's <c>dnsRecord</c> as the API shows it) instead of a resolver.
/// </summary>
public static class DkimVerifier
{
    /// <summary>The program whose presence the tests need (python3-dkim installs it with the module).</summary>
    public const string Tool = "dkimverify";

    public static string Record(JsonElement key) =>
        $"{key.GetProperty("dnsRecord").Str("name")}={key.GetProperty("dnsRecord").Str("value")}";

    public static List<DkimVerdict> Verify(string folder, byte[] raw, params string[] records)
    {
        var path = Path.Combine(folder, Guid.NewGuid().ToString("N") + ".eml");
        File.WriteAllBytes(path, raw);
        var script = Path.Combine(OpenApiContractTests.RepositoryRoot(), "tests", "SendGate.IntegrationTests", "Dkim", "dkim_verify.py");
        var run = ExternalTool.Run(Interpreter(), [script, path, .. records]);
        Assert.True(run.ExitCode == 0, run.ToString());
        return run.StdOut.Split('\n', StringSplitOptions.RemoveEmptyEntries)
            .Select(line => JsonDocument.Parse(line).RootElement)
            .Select(e => new DkimVerdict(e.GetProperty("index").GetInt32(), e.Str("d"), e.Str("s"), e.GetProperty("verified").GetBoolean(),
                e.GetProperty("error").ValueKind == JsonValueKind.Null ? null : e.Str("error")))
            .ToList();
    }

    public static void AssertSignedBy(List<DkimVerdict> signatures, string domain, string selector)
    {
        var top = Assert.Single(signatures);
        Assert.True(top.Verified, top.Error);
        Assert.Equal((domain, selector), (top.D, top.S));
    }

    /// <summary>The Python that has the dkim module: the one python3-dkim's own dkimverify runs with (not a pyenv shim on PATH).</summary>
    private static string Interpreter()
    {
        var tool = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator)
            .Select(dir => Path.Combine(dir, Tool)).First(File.Exists);
        var shebang = File.ReadLines(tool).First();
        Assert.StartsWith("#!", shebang);
        return shebang[2..].Trim().Split(' ')[0];
    }
}
