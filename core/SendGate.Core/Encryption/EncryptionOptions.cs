using System.ComponentModel.DataAnnotations;

namespace SendGate.Core.Encryption;

public sealed class EncryptionOptions
{
    public const string Section = "SendGate:Encryption";

    /// <summary>
    /// Base64 of 32 random bytes: the key that encrypts zip passwords at rest. Every host of one
    /// installation needs the same key. When empty, <see cref="PasswordKeyFile"/> is used.
    /// </summary>
    public string? PasswordKey { get; set; }

    /// <summary>Where the key is kept when <see cref="PasswordKey"/> is empty; created (mode 600) on first use.</summary>
    [Required]
    public string PasswordKeyFile { get; set; } = "data/password.key";

    /// <summary>Deflate level of the zips, 0 (store) to 9.</summary>
    [Range(0, 9)]
    public int CompressionLevel { get; set; } = 6;
}
