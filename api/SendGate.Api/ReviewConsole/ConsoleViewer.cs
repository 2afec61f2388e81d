using System.Globalization;
using System.Security.Claims;
using SendGate.Core.Approvals;
using SendGate.Core.Policies;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole;

/// <summary>
/// The person looking at a console page: who (by address, in which tenant), how they signed in,
/// what their address lets them see (roles are read on every request, so a role taken away ends
/// at once), and the language and time zone pages are written in.
/// </summary>
internal sealed record ConsoleViewer(string TenantId, string Address, string Via, string? OnlyMessage, string? Role, bool English, TenantSettings Settings)
{
    public bool IsAdmin => Role == ConsoleRoles.Admin;

    /// <summary>Reviewers and admins see the tenant's held mail, archive and audit trail.</summary>
    public bool IsReviewer => Role is ConsoleRoles.Reviewer or ConsoleRoles.Admin;

    /// <summary>The actor recorded in message events and the audit trail.</summary>
    public string Actor => $"console:{Address}";

    public CultureInfo Culture => English ? CultureInfo.GetCultureInfo("en") : CultureInfo.GetCultureInfo("ja");

    public string Time(DateTimeOffset at) => English
        ? Settings.LocalTime(at).ToString("yyyy-MM-dd HH:mm", CultureInfo.InvariantCulture)
        : Settings.LocalTime(at).ToString("yyyy/MM/dd HH:mm", CultureInfo.InvariantCulture);

    public string Time(long? ms) => ms is { } v ? Time(SendGate.Core.Clock.FromMs(v)) : "";

    public static async Task<ConsoleViewer?> ReadAsync(ClaimsPrincipal user, ConsolePeople people, PolicyService policies, CancellationToken cancellationToken)
    {
        if (user.FindFirstValue(ConsoleSetup.TenantClaim) is not { } tenantId || user.FindFirstValue(ConsoleSetup.AddressClaim) is not { } address)
        {
            return null;
        }

        var person = await people.GetAsync(tenantId, address, cancellationToken);
        var settings = (await policies.GetSnapshotAsync(tenantId, cancellationToken)).Settings;
        var onlyMessage = user.FindFirstValue(ConsoleSetup.MessageClaim);
        return new ConsoleViewer(tenantId, address, user.FindFirstValue(ConsoleSetup.ViaClaim) ?? "", onlyMessage,
            // A hold notice's sign-in is for that mail only, whatever the person's role.
            onlyMessage is null ? person?.Role : null,
            (person?.Language ?? settings.Language) == "en", settings);
    }
}
