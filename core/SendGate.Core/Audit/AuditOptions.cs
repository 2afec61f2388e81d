namespace SendGate.Core.Audit;

public sealed class AuditOptions
{
    public const string Section = "SendGate:Audit";

    /// <summary>
    /// Base64 of 32 random bytes: the key of the audit chain's HMACs and of each tenant's signed
    /// head. It never lives in the database, so someone who can only write the database cannot
    /// rewrite the trail unnoticed. Every host of one installation needs the same key. When empty,
    /// <see cref="KeyFile"/> is used.
    /// </summary>
    public string? Key { get; set; }

    /// <summary>Where the key is kept when <see cref="Key"/> is empty; created (mode 600) on first use.</summary>
    [System.ComponentModel.DataAnnotations.Required]
    public string KeyFile { get; set; } = "data/audit.key";
}
