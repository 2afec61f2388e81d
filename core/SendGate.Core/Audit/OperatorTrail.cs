using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using SendGate.Core.Data;

namespace SendGate.Core.Audit;

/// <summary>
/// The operator's own trail: tenants created, suspended, resumed, their quotas changed, deleted.
/// The same keyed chain and signed head as a tenant's trail, in tables of its own that no tenant
/// owns, so deleting a tenant leaves the record that it was deleted.
/// </summary>
public sealed class OperatorTrail(IDbConnectionFactory db, TimeProvider time, IOptions<AuditOptions> options, ILogger<AuditTrail> logger)
{
    /// <summary>The trail's name where a tenant's trail has its tenant id.</summary>
    public const string Name = "operator";

    private readonly AuditTrail _trail = new(db, time, options, logger, operatorTrail: true);

    public Task<AuditRow> RecordAsync(string actor, string action, string? resource, string? detail, string? ip, int statusCode,
        CancellationToken cancellationToken = default) =>
        _trail.RecordAsync(new AuditEntry(Name, actor, action, resource, detail, ip, statusCode), cancellationToken);

    public Task<IReadOnlyList<AuditRow>> ListAsync(AuditFilter filter, CancellationToken cancellationToken = default) => _trail.ListAsync(Name, filter, cancellationToken);

    public Task<AuditVerification> VerifyAsync(CancellationToken cancellationToken = default) => _trail.VerifyAsync(Name, cancellationToken);
}
