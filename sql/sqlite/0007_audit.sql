-- Audit trail: every action by a person or key (releases, cancellations, approval decisions,
-- policy, route, tenant, key and webhook changes), hash-chained per tenant: each entry's hash
-- covers its content and the previous entry's hash, so an altered or removed row is detected.

CREATE TABLE audit_log (
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    seq          INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    actor        TEXT    NOT NULL,
    action       TEXT    NOT NULL,
    resource     TEXT    NULL,
    detail       TEXT    NULL,
    ip           TEXT    NULL,
    status_code  INTEGER NOT NULL,
    prev_hash    TEXT    NOT NULL,
    hash         TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX ix_audit_log_tenant_at ON audit_log (tenant_id, at);
