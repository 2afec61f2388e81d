using System.Security.Cryptography;
using System.Text;

namespace SendGate.Core;

/// <summary>
/// The secret in a link SendGate mails (an approval link, a console sign-in or hold-notice link):
/// 256 random bits as 43 URL-safe characters, stored only as its SHA-256 hash, so nothing in the
/// database opens anything.
/// </summary>
public static class LinkTokens
{
    public const int Length = 43;

    public static string Create() =>
        Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)).TrimEnd('=').Replace('+', '-').Replace('/', '_');

    /// <summary>What is stored and looked up: the lower-case hex SHA-256 of the token.</summary>
    public static string Hash(string token) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(token)));

    /// <summary>Whether <paramref name="token"/> could be one of ours (anything else is not looked up).</summary>
    public static bool IsWellFormed(string token) => token.Length == Length && token.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_');
}
