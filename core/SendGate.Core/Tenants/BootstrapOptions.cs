using System.ComponentModel.DataAnnotations;

namespace SendGate.Core.Tenants;

public sealed class BootstrapOptions
{
    public const string Section = "SendGate:Bootstrap";

    /// <summary>Admin API key for the default tenant created on first start when no tenant exists.</summary>
    public string? ApiKey { get; set; }

    [Required, MaxLength(200)]
    public string TenantName { get; set; } = "default";
}
