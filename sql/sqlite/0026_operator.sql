-- Running many tenants: the operator's own credentials and trail, a tenant's suspension and quotas,
-- and what each tenant used per day (its own calendar day).
--
-- A quota column that is NULL takes the host's default (SendGate:Quotas). A suspended tenant's keys,
-- SMTP sessions and console are refused; its mail is kept and waits (the delivery claim skips it).

ALTER TABLE tenants ADD COLUMN suspended_at INTEGER NULL;
ALTER TABLE tenants ADD COLUMN quota_messages_per_day INTEGER NULL;
ALTER TABLE tenants ADD COLUMN quota_stored_bytes INTEGER NULL;
ALTER TABLE tenants ADD COLUMN quota_api_keys INTEGER NULL;
ALTER TABLE tenants ADD COLUMN quota_webhook_endpoints INTEGER NULL;

CREATE TABLE operator_keys (
    id          TEXT    NOT NULL PRIMARY KEY,
    name        TEXT    NOT NULL,
    prefix      TEXT    NOT NULL,
    key_hash    TEXT    NOT NULL UNIQUE,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER NULL
);

-- Accepted messages and their bytes per tenant and local day: the daily quota and the usage report.
CREATE TABLE tenant_usage_days (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    day        TEXT    NOT NULL,
    messages   INTEGER NOT NULL,
    bytes      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, day)
);

-- The operator's trail: the same keyed chain and signed head as a tenant's (audit_log, audit_heads),
-- under the trail name 'operator'; not tied to a tenant, so it outlives the tenants it records.
CREATE TABLE operator_audit_log (
    tenant_id      TEXT    NOT NULL,
    seq            INTEGER NOT NULL,
    at             INTEGER NOT NULL,
    actor          TEXT    NOT NULL,
    action         TEXT    NOT NULL,
    resource       TEXT    NULL,
    detail         TEXT    NULL,
    ip             TEXT    NULL,
    status_code    INTEGER NOT NULL,
    prev_hash      TEXT    NOT NULL,
    hash           TEXT    NOT NULL,
    chain_version  INTEGER NOT NULL DEFAULT 2,
    PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX ix_operator_audit_log_at ON operator_audit_log (tenant_id, at);

CREATE TABLE operator_audit_heads (
    tenant_id   TEXT    NOT NULL PRIMARY KEY,
    entries     INTEGER NOT NULL,
    last_hash   TEXT    NOT NULL,
    keyed_from  INTEGER NULL,
    signature   TEXT    NULL,
    updated_at  INTEGER NOT NULL
);
