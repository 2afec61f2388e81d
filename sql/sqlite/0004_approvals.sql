-- Supervisor approval: routes (who approves whose mail), requests (one per message awaiting
-- approval, with the route as resolved when it was created), every decision for the audit trail,
-- and the approver identity an API key acts as.

ALTER TABLE api_keys ADD COLUMN approver_address TEXT NULL;

CREATE TABLE approval_routes (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    name        TEXT    NOT NULL,
    document    TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    updated_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE approval_requests (
    id              TEXT    NOT NULL PRIMARY KEY,
    message_id      TEXT    NOT NULL UNIQUE REFERENCES messages (id),
    tenant_id       TEXT    NOT NULL REFERENCES tenants (id),
    route_name      TEXT    NOT NULL,
    route_snapshot  TEXT    NOT NULL,
    status          TEXT    NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
    level           INTEGER NOT NULL,
    timeout_ms      INTEGER NOT NULL,
    reminder_ms     INTEGER NULL,
    on_timeout      TEXT    NOT NULL CHECK (on_timeout IN ('reject', 'release', 'escalate')),
    due_at          INTEGER NOT NULL,
    reminder_at     INTEGER NULL,
    version         INTEGER NOT NULL,
    decided_by      TEXT    NULL,
    decided_at      INTEGER NULL,
    comment         TEXT    NULL,
    created_at      INTEGER NOT NULL,
    updated_at      INTEGER NOT NULL
);
CREATE INDEX ix_approval_requests_tenant ON approval_requests (tenant_id, status, created_at);
CREATE INDEX ix_approval_requests_due ON approval_requests (status, due_at) WHERE status = 'pending';

CREATE TABLE approval_decisions (
    request_id  TEXT    NOT NULL REFERENCES approval_requests (id),
    seq         INTEGER NOT NULL,
    level       INTEGER NOT NULL,
    approver    TEXT    NOT NULL,
    actor       TEXT    NOT NULL,
    acting_as   TEXT    NOT NULL CHECK (acting_as IN ('self', 'proxy', 'admin', 'system')),
    decision    TEXT    NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment     TEXT    NULL,
    channel     TEXT    NOT NULL,
    key_id      TEXT    NULL,
    ip          TEXT    NULL,
    at          INTEGER NOT NULL,
    PRIMARY KEY (request_id, seq)
);
