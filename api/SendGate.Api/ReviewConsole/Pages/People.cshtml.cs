using Microsoft.AspNetCore.Mvc;
using SendGate.Core.Mime;
using SendGate.Core.ReviewConsole;

namespace SendGate.Api.ReviewConsole.Pages;

/// <summary>Admins give people (by mail address) the reviewer or admin role, or take it away.</summary>
internal sealed class PeopleModel(ConsolePeople people) : ConsolePage
{
    internal IReadOnlyList<ConsolePersonRow> People { get; private set; } = [];

    internal string? FormError { get; private set; }

    public async Task<IActionResult> OnGetAsync()
    {
        if (!Viewer.IsAdmin)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "AdminOnlyText");
        }

        People = await people.ListAsync(Viewer.TenantId, HttpContext.RequestAborted);
        return Page();
    }

    public async Task<IActionResult> OnPostAsync([FromForm(Name = "address")] string? address, [FromForm(Name = "role")] string? role)
    {
        if (!Viewer.IsAdmin)
        {
            return Problem(StatusCodes.Status403Forbidden, "NoAccessTitle", "AdminOnlyText");
        }

        address = address?.Trim().ToLowerInvariant();
        var remove = role is null or "";
        if (!MailAddresses.IsBare(address) || (!remove && !ConsoleRoles.All.Contains(role)))
        {
            FormError = Text["BadRole"];
        }
        else if (remove && address == Viewer.Address)
        {
            // The last way back in must not be locked by mistake; another admin (or an API key) can do it.
            FormError = Text["CannotRemoveSelf"];
        }

        if (FormError is not null)
        {
            Response.StatusCode = StatusCodes.Status422UnprocessableEntity;
            People = await people.ListAsync(Viewer.TenantId, HttpContext.RequestAborted);
            return Page();
        }

        await people.SetRoleAsync(Viewer.TenantId, address!, remove ? null : role, Viewer.Actor, HttpContext.RequestAborted);
        await AuditAsync(remove ? "remove-role" : "set-role", $"person={address}", remove ? null : role);
        Notice = string.Format(System.Globalization.CultureInfo.CurrentCulture, remove ? Text["RoleRemoved"] : Text["RoleSaved"], address);
        return RedirectToPage("/People");
    }
}
