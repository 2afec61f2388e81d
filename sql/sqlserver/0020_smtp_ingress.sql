-- SMTP ingress: the door beside the REST API. A message records which door it came in by
-- (source keeps how it was written: json or mime). Senders are recognised per tenant by SMTP
-- credentials (the password only as a hash) or, in connector mode, by the client's address.

ALTER TABLE messages ADD door NVARCHAR(8) NOT NULL CONSTRAINT df_messages_door DEFAULT 'api'
    CONSTRAINT ck_messages_door CHECK (door IN ('api', 'smtp'));

CREATE TABLE smtp_credentials (
    id           NVARCHAR(64)  NOT NULL PRIMARY KEY,
    tenant_id    NVARCHAR(64)  NOT NULL REFERENCES tenants (id),
    name         NVARCHAR(200) NOT NULL,
    username     NVARCHAR(64)  NOT NULL UNIQUE,
    secret_hash  NVARCHAR(64)  NOT NULL,
    created_at   BIGINT        NOT NULL,
    created_by   NVARCHAR(400) NOT NULL,
    last_used_at BIGINT        NULL
);

CREATE INDEX ix_smtp_credentials_tenant ON smtp_credentials (tenant_id, created_at);

CREATE TABLE smtp_connectors (
    tenant_id    NVARCHAR(64)   NOT NULL PRIMARY KEY REFERENCES tenants (id),
    networks     NVARCHAR(4000) NOT NULL,
    require_tls  BIT            NOT NULL,
    updated_at   BIGINT         NOT NULL
);
