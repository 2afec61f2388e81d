using Microsoft.AspNetCore.Mvc;
using Microsoft.AspNetCore.Mvc.RazorPages;
using Microsoft.Extensions.Localization;
using SendGate.Core.Audit;

namespace SendGate.Api.ReviewConsole;

/// <summary>Base of the console's pages: the person looking, texts, and the audit trail of what they do.</summary>
internal abstract class ConsolePage : PageModel
{
    internal ConsoleViewer Viewer => HttpContext.Items[typeof(ConsoleViewer)] as ConsoleViewer
        ?? throw new InvalidOperationException("A console page that needs a person was reached without one.");

    internal ConsoleViewer? MaybeViewer => HttpContext.Items[typeof(ConsoleViewer)] as ConsoleViewer;

    protected IStringLocalizer<ConsoleText> Text => HttpContext.RequestServices.GetRequiredService<IStringLocalizer<ConsoleText>>();

    /// <summary>Set by a handler to show a notice above the page (a success or what to correct).</summary>
    [TempData]
    public string? Notice { get; set; }

    internal IActionResult Problem(int status, string titleKey, string textKey, params object[] args) =>
        ProblemPage.Result(HttpContext, status, titleKey, textKey, args);

    /// <summary>Every change a person makes on the console goes to the tenant's audit trail, channel <c>console</c>.</summary>
    internal Task AuditAsync(string action, string? resource, string? detail, int status = 200) =>
        HttpContext.RequestServices.GetRequiredService<AuditTrail>().RecordAsync(new AuditEntry(Viewer.TenantId, Viewer.Actor, $"console {action}", resource,
            SendGate.Core.Policies.Detectors.SensitiveNumbers.MaskOrNull(detail), HttpContext.Connection.RemoteIpAddress?.ToString(), status), HttpContext.RequestAborted);

    /// <summary>A return address from a query or form, only if it stays on the console.</summary>
    internal static string LocalConsoleUrl(string? url) =>
        url is { Length: > 0 and < 2000 } u && u.StartsWith("/console", StringComparison.Ordinal) && !u.StartsWith("//", StringComparison.Ordinal) && !u.Contains('\\', StringComparison.Ordinal)
            ? u
            : "/console";
}
