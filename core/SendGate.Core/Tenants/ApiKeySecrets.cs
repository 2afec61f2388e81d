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

    /// <summary>
    /// The first characters, enough to recognise a key in a list: at most 8, and never more than
    /// a quarter of the secret, so a short configured key keeps most of its entropy hidden.
    /// </summary>
    public static string DisplayPrefix(string secret) => secret[..Math.Min(8, secret.Length / 4)];

    private static string Base64UrlEncode(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}
