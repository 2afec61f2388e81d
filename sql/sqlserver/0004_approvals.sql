-- Supervisor approval: routes (who approves whose mail), requests (one per message awaiting
-- approval, with the route as resolved when it was created), every decision for the audit trail,
-- and the approver identity an API key acts as.

ALTER TABLE api_keys ADD approver_address NVARCHAR(320) NULL;

CREATE TABLE approval_routes (
    tenant_id   NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    name        NVARCHAR(100)  NOT NULL,
    document    NVARCHAR(MAX)  NOT NULL,
    created_at  BIGINT         NOT NULL,
    updated_at  BIGINT         NOT NULL,
    PRIMARY KEY (tenant_id, name)
);

CREATE TABLE approval_requests (
    id              NVARCHAR(64)   NOT NULL PRIMARY KEY,
    message_id      NVARCHAR(64)   NOT NULL UNIQUE REFERENCES messages (id),
    tenant_id       NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    route_name      NVARCHAR(100)  NOT NULL,
    route_snapshot  NVARCHAR(MAX)  NOT NULL,
    status          NVARCHAR(16)   NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'expired', 'cancelled')),
    level           INT            NOT NULL,
    timeout_ms      BIGINT         NOT NULL,
    reminder_ms     BIGINT         NULL,
    on_timeout      NVARCHAR(16)   NOT NULL CHECK (on_timeout IN ('reject', 'release', 'escalate')),
    due_at          BIGINT         NOT NULL,
    reminder_at     BIGINT         NULL,
    version         INT            NOT NULL,
    decided_by      NVARCHAR(400)  NULL,
    decided_at      BIGINT         NULL,
    comment         NVARCHAR(2000) NULL,
    created_at      BIGINT         NOT NULL,
    updated_at      BIGINT         NOT NULL
);
CREATE INDEX ix_approval_requests_tenant ON approval_requests (tenant_id, status, created_at);
CREATE INDEX ix_approval_requests_due ON approval_requests (status, due_at) WHERE status = 'pending';

CREATE TABLE approval_decisions (
    request_id  NVARCHAR(64)   NOT NULL REFERENCES approval_requests (id),
    seq         INT            NOT NULL,
    level       INT            NOT NULL,
    approver    NVARCHAR(320)  NOT NULL,
    actor       NVARCHAR(400)  NOT NULL,
    acting_as   NVARCHAR(16)   NOT NULL CHECK (acting_as IN ('self', 'proxy', 'admin', 'system')),
    decision    NVARCHAR(16)   NOT NULL CHECK (decision IN ('approve', 'reject')),
    comment     NVARCHAR(2000) NULL,
    channel     NVARCHAR(16)   NOT NULL,
    key_id      NVARCHAR(64)   NULL,
    ip          NVARCHAR(64)   NULL,
    at          BIGINT         NOT NULL,
    PRIMARY KEY (request_id, seq)
);
