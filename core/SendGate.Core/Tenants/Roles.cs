namespace SendGate.Core.Tenants;

/// <summary>Roles an API key can carry.</summary>
public static class Roles
{
    /// <summary>Submits mail, and reads, releases and cancels the tenant's messages.</summary>
    public const string Sender = "sender";

    /// <summary>Reads any message of the tenant and releases or cancels held ones.</summary>
    public const string Reviewer = "reviewer";

    /// <summary>Decides approval requests.</summary>
    public const string Approver = "approver";

    /// <summary>Everything, including API keys and tenant settings.</summary>
    public const string Admin = "admin";

    public static readonly IReadOnlyList<string> All = [Sender, Reviewer, Approver, Admin];

    public static bool IsKnown(string role) => All.Contains(role, StringComparer.Ordinal);
}
