-- Audit trail: every action by a person or key (releases, cancellations, approval decisions,
-- policy, route, tenant, key and webhook changes), hash-chained per tenant: each entry's hash
-- covers its content and the previous entry's hash, so an altered or removed row is detected.

CREATE TABLE audit_log (
    tenant_id    NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    seq          BIGINT         NOT NULL,
    at           BIGINT         NOT NULL,
    actor        NVARCHAR(400)  NOT NULL,
    action       NVARCHAR(200)  NOT NULL,
    resource     NVARCHAR(400)  NULL,
    detail       NVARCHAR(2000) NULL,
    ip           NVARCHAR(64)   NULL,
    status_code  INT            NOT NULL,
    prev_hash    NVARCHAR(64)   NOT NULL,
    hash         NVARCHAR(64)   NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX ix_audit_log_tenant_at ON audit_log (tenant_id, at);
