using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Options;

namespace SendGate.Core.Encryption;

/// <summary>
/// Keeps the secrets SendGate must read back encrypted at rest (AES-256-GCM under the key of
/// <c>SendGate:Encryption:PasswordKey</c>/<c>PasswordKeyFile</c>, each bound to its row's id): zip
/// passwords until their password mail has gone out, and webhook signing secrets. A keyed hash
/// proves later which password was used once the password itself is erased.
/// </summary>
public sealed class SecretVault
{
    private const int NonceSize = 12;
    private const int TagSize = 16;

    private readonly Lazy<(byte[] Encryption, byte[] Hashing, string KeyId)> _keys;

    public SecretVault(IOptions<EncryptionOptions> options)
    {
        _keys = new Lazy<(byte[], byte[], string)>(() => Derive(LoadKey(options.Value)));
    }

    /// <summary>Names the key a ciphertext was made with, so that a changed key is noticed instead of failing obscurely.</summary>
    public string KeyId => _keys.Value.KeyId;

    public byte[] Protect(string password, string boundTo)
    {
        var plain = Encoding.UTF8.GetBytes(password);
        var blob = new byte[NonceSize + TagSize + plain.Length];
        var nonce = blob.AsSpan(0, NonceSize);
        RandomNumberGenerator.Fill(nonce);
        using var aes = new AesGcm(_keys.Value.Encryption, TagSize);
        aes.Encrypt(nonce, plain, blob.AsSpan(NonceSize + TagSize), blob.AsSpan(NonceSize, TagSize), Encoding.UTF8.GetBytes(boundTo));
        CryptographicOperations.ZeroMemory(plain);
        return blob;
    }

    public string Unprotect(byte[] blob, string boundTo, string keyId)
    {
        if (keyId != KeyId)
        {
            throw new CryptographicException(
                $"The password was encrypted with key {keyId}, but this host has key {KeyId}: every host needs the same SendGate:Encryption:PasswordKey.");
        }

        var plain = new byte[blob.Length - NonceSize - TagSize];
        using var aes = new AesGcm(_keys.Value.Encryption, TagSize);
        aes.Decrypt(blob.AsSpan(0, NonceSize), blob.AsSpan(NonceSize + TagSize), blob.AsSpan(NonceSize, TagSize), plain, Encoding.UTF8.GetBytes(boundTo));
        return Encoding.UTF8.GetString(plain);
    }

    /// <summary>HMAC-SHA-256 under a key derived from the vault key: cannot be brute-forced without it.</summary>
    public string Hash(string password) =>
        Convert.ToHexStringLower(HMACSHA256.HashData(_keys.Value.Hashing, Encoding.UTF8.GetBytes(password)));

    private static (byte[], byte[], string) Derive(byte[] key)
    {
        var encryption = HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, info: "sendgate zip password encryption"u8.ToArray());
        var hashing = HKDF.DeriveKey(HashAlgorithmName.SHA256, key, 32, info: "sendgate zip password hash"u8.ToArray());
        var id = Convert.ToHexStringLower(SHA256.HashData(key))[..16];
        return (encryption, hashing, id);
    }

    private static byte[] LoadKey(EncryptionOptions options) => SecretKeyFile.Load(options.PasswordKey, options.PasswordKeyFile);

    /// <summary>Checks a configured key at start: base64 of exactly 32 bytes.</summary>
    public static bool IsValidKey(string? key) => SecretKeyFile.IsValid(key);
}
