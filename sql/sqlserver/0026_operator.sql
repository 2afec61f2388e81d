-- Running many tenants: the operator's own credentials and trail, a tenant's suspension and quotas,
-- and what each tenant used per day (its own calendar day).
--
-- A quota column that is NULL takes the host's default (SendGate:Quotas). A suspended tenant's keys,
-- SMTP sessions and console are refused; its mail is kept and waits (the delivery claim skips it).

ALTER TABLE tenants ADD suspended_at BIGINT NULL,
    quota_messages_per_day BIGINT NULL,
    quota_stored_bytes BIGINT NULL,
    quota_api_keys BIGINT NULL,
    quota_webhook_endpoints BIGINT NULL;

CREATE TABLE operator_keys (
    id          NVARCHAR(64)  NOT NULL PRIMARY KEY,
    name        NVARCHAR(200) NOT NULL,
    prefix      NVARCHAR(16)  NOT NULL,
    key_hash    NVARCHAR(64)  NOT NULL CONSTRAINT uq_operator_keys_hash UNIQUE,
    created_at  BIGINT        NOT NULL,
    revoked_at  BIGINT        NULL
);

-- Accepted messages and their bytes per tenant and local day: the daily quota and the usage report.
CREATE TABLE tenant_usage_days (
    tenant_id  NVARCHAR(64) NOT NULL REFERENCES tenants (id),
    day        NVARCHAR(10) NOT NULL,
    messages   BIGINT       NOT NULL,
    bytes      BIGINT       NOT NULL,
    CONSTRAINT pk_tenant_usage_days PRIMARY KEY (tenant_id, day)
);

-- The operator's trail: the same keyed chain and signed head as a tenant's (audit_log, audit_heads),
-- under the trail name 'operator'; not tied to a tenant, so it outlives the tenants it records.
CREATE TABLE operator_audit_log (
    tenant_id      NVARCHAR(64)   NOT NULL,
    seq            BIGINT         NOT NULL,
    at             BIGINT         NOT NULL,
    actor          NVARCHAR(400)  NOT NULL,
    action         NVARCHAR(200)  NOT NULL,
    resource       NVARCHAR(400)  NULL,
    detail         NVARCHAR(2000) NULL,
    ip             NVARCHAR(64)   NULL,
    status_code    INT            NOT NULL,
    prev_hash      NVARCHAR(64)   NOT NULL,
    hash           NVARCHAR(64)   NOT NULL,
    chain_version  INT            NOT NULL CONSTRAINT df_operator_audit_log_chain_version DEFAULT 2,
    CONSTRAINT pk_operator_audit_log PRIMARY KEY (tenant_id, seq)
);
CREATE INDEX ix_operator_audit_log_at ON operator_audit_log (tenant_id, at);

CREATE TABLE operator_audit_heads (
    tenant_id   NVARCHAR(64) NOT NULL PRIMARY KEY,
    entries     BIGINT       NOT NULL,
    last_hash   NVARCHAR(64) NOT NULL,
    keyed_from  BIGINT       NULL,
    signature   NVARCHAR(64)  NULL,
    updated_at  BIGINT       NOT NULL
);
