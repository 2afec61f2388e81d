using SendGate.Api.Infrastructure;
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

    private static readonly IReadOnlyList<string> Decided = [ApprovalStatus.Approved, ApprovalStatus.Rejected, ApprovalStatus.Expired];

    public static ApproverIdentity Identity(ConsoleViewer viewer, HttpContext context) =>
        new(viewer.Address, viewer.IsAdmin, viewer.Actor, null, "console", context.Connection.RemoteIpAddress?.ToString());

    /// <summary>
    /// A page of the requests the person may decide now (<paramref name="pending"/>) or that were
    /// decided on her route, newest first from <paramref name="before"/>; the cursor is where the
    /// page ends, as the API's (a long stretch of others' requests ends a page early, with a cursor).
    /// </summary>
    public async Task<ApprovalPage> ListAsync(ConsoleViewer viewer, bool pending, (long, string)? before, HttpContext context)
    {
        var who = Identity(viewer, context);
        var now = time.GetUtcNow();
        IReadOnlyList<string> statuses = pending ? [ApprovalStatus.Pending] : Decided;
        bool Visible(ApprovalRequestRow r) =>
            viewer.IsAdmin || (pending ? ApprovalService.Standing(r, who, now) is not null : ApprovalRoutes.Involves(r, viewer.Address));

        var found = new List<ApprovalRequestRow>();
        var position = before;
        string? next = null;
        for (var scanned = 0; ;)
        {
            var rows = await store.ListAsync(viewer.TenantId, statuses, position, ScanBatch, context.RequestAborted);
            foreach (var row in rows)
            {
                if (Visible(row) && found.Count == PageSize)
                {
                    next = KeysetCursor.Encode(found[^1].CreatedAt, found[^1].Id);
                    break;
                }

                if (Visible(row))
                {
                    found.Add(row);
                }

                position = (row.CreatedAt, row.Id);
            }

            scanned += rows.Count;
            if (next is not null || rows.Count < ScanBatch)
            {
                break;
            }

            if (scanned >= MaxScanned)
            {
                next = KeysetCursor.Encode(position!.Value.Item1, position.Value.Item2);
                break;
            }
        }

        // The page's mail in one read (a request's message is of the same tenant; one purged away is left out).
        var mail = await messages.GetManyAsync(viewer.TenantId, found.Select(r => r.MessageId).Distinct(StringComparer.Ordinal).ToList(), context.RequestAborted);
        return new ApprovalPage([.. found.Where(r => mail.ContainsKey(r.MessageId)).Select(r => (r, mail[r.MessageId]))], next);
    }

    public Task<DecideOutcome> DecideAsync(ConsoleViewer viewer, string id, bool approve, string? comment, HttpContext context) =>
        service.DecideAsync(viewer.TenantId, id, Identity(viewer, context), approve, comment, context.RequestAborted);
}

/// <summary>One page of approval requests with their mail, and where the next page starts.</summary>
internal sealed record ApprovalPage(IReadOnlyList<(ApprovalRequestRow Request, MessageRow Message)> Items, string? NextCursor);
