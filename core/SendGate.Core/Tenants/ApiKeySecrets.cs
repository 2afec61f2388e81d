using System.Security.Cryptography;
using System.Text;

namespace SendGate.Core.Tenants;

/// <summary>
/// API key secrets: 256 random bits, shown once, stored only as a SHA-256 hash. A slow password
/// hash buys nothing for secrets of this entropy and would cost on every request.
/// </summary>
public static class ApiKeySecrets
{
    public const string Prefix = "sg_";

    public static string Generate() =>
        Prefix + Base64UrlEncode(RandomNumberGenerator.GetBytes(32));

    public static string Hash(string secret) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(secret)));

    /// <summary>The first characters, enough to recognise a key in a list without revealing it.</summary>
    public static string DisplayPrefix(string secret) => secret.Length <= 10 ? secret : secret[..10];

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
