using System.Security.Cryptography;
using System.Text;

namespace SendGate.Core.Webhooks;

/// <summary>
/// Standard Webhooks signing: <c>v1,</c> + base64 HMAC-SHA256 of <c>"{id}.{timestamp}.{body}"</c>
/// under the secret's key (the base64 after <c>whsec_</c>). Several active secrets (a rotation's
/// overlap) give several space-separated signatures; a receiver accepts any that verifies.
/// </summary>
public static class WebhookSigner
{
    public const string SecretPrefix = "whsec_";

    public static string NewSecret() => SecretPrefix + Convert.ToBase64String(RandomNumberGenerator.GetBytes(24));

    public static string Sign(string id, long timestamp, string body, IEnumerable<string> secrets) =>
        string.Join(' ', secrets.Select(secret =>
        {
            var key = Convert.FromBase64String(secret.StartsWith(SecretPrefix, StringComparison.Ordinal) ? secret[SecretPrefix.Length..] : secret);
            var signature = HMACSHA256.HashData(key, Encoding.UTF8.GetBytes($"{id}.{timestamp}.{body}"));
            return "v1," + Convert.ToBase64String(signature);
        }));
}
