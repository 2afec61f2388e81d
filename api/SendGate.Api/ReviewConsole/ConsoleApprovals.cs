using SendGate.Core;
using SendGate.Core.Approvals;
using SendGate.Core.Messages;

namespace SendGate.Api.ReviewConsole;

/// <summary>
/// What the console's approval pages share: the queue of requests a person may decide now (with
/// proxies inside their dates; admins all), the decided ones she was on, and one decision made
/// through the same service the API and the signed links use.
/// </summary>
internal sealed class ConsoleApprovals(ApprovalStore store, ApprovalService service, MessageStore messages, TimeProvider time)
{
    // As the API: read in batches, stop after this many, so a long history never makes one slow page.
    private const int ScanBatch = 200;
    private const int MaxScanned = 2000;
    public const int PageSize = 50;

    public static ApproverIdentity Identity(ConsoleViewer viewer, HttpContext context) =>
        new(viewer.Address, viewer.IsAdmin, viewer.Actor, null, "console", context.Connection.RemoteIpAddress?.ToString());

    public async Task<IReadOnlyList<(ApprovalRequestRow Request, MessageRow Message)>> ListAsync(ConsoleViewer viewer, bool pending, HttpContext context)
    {
        var who = Identity(viewer, context);
        var now = time.GetUtcNow();
        var found = new List<ApprovalRequestRow>();
        foreach (var status in pending ? [ApprovalStatus.Pending] : new[] { ApprovalStatus.Approved, ApprovalStatus.Rejected, ApprovalStatus.Expired })
        {
            (long, string)? position = null;
            for (var scanned = 0; scanned < MaxScanned && found.Count < PageSize;)
            {
                var rows = await store.ListAsync(viewer.TenantId, status, position, ScanBatch, context.RequestAborted);
                foreach (var row in rows)
                {
                    position = (row.CreatedAt, row.Id);
                    var visible = pending ? viewer.IsAdmin || ApprovalService.Standing(row, who, now) is not null : viewer.IsAdmin || SendGate.Core.Approvals.ApprovalRoutes.Involves(row, viewer.Address);
                    if (visible && found.Count < PageSize)
                    {
                        found.Add(row);
                    }
                }

                scanned += rows.Count;
                if (rows.Count < ScanBatch)
                {
                    break;
                }
            }
        }

        // The page's mail in one read (a request's message is of the same tenant; one purged away is left out).
        var mail = await messages.GetManyAsync(viewer.TenantId, found.Select(r => r.MessageId).Distinct(StringComparer.Ordinal).ToList(), context.RequestAborted);
        return [.. found.Where(r => mail.ContainsKey(r.MessageId)).OrderByDescending(r => r.CreatedAt).Select(r => (r, mail[r.MessageId]))];
    }

    public Task<DecideOutcome> DecideAsync(ConsoleViewer viewer, string id, bool approve, string? comment, HttpContext context) =>
        service.DecideAsync(viewer.TenantId, id, Identity(viewer, context), approve, comment, context.RequestAborted);
}
