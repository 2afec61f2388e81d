using Microsoft.Extensions.DependencyInjection;
using SendGate.Core.Background;
using SendGate.Core.Messages.Lifecycle;

namespace SendGate.Core.Approvals;

public static class ApprovalsModule
{
    /// <summary>Approval routes, requests and decisions, and the deadlines that escalate or end them.</summary>
    public static IServiceCollection AddApprovals(this IServiceCollection services)
    {
        services.AddSingleton<ApprovalStore>();
        services.AddSingleton<ApprovalService>();
        services.AddSingleton<IMessageMoveHandler, ApprovalRequestEnding>();

        services.AddRecurringWork<ApprovalService>("approval-deadlines", WorkSchedule.Poll, (approvals, ct) => approvals.ProcessDueAsync(ct));
        return services;
    }
}
