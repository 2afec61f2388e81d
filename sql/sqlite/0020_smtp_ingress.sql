-- SMTP ingress: the door beside the REST API. A message records which door it came in by
-- (source keeps how it was written: json or mime). Senders are recognised per tenant by SMTP
-- credentials (the password only as a hash) or, in connector mode, by the client's address.

ALTER TABLE messages ADD COLUMN door TEXT NOT NULL DEFAULT 'api' CHECK (door IN ('api', 'smtp'));

CREATE TABLE smtp_credentials (
    id           TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    name         TEXT    NOT NULL,
    username     TEXT    NOT NULL UNIQUE,
    secret_hash  TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    created_by   TEXT    NOT NULL,
    last_used_at INTEGER NULL
);

CREATE INDEX ix_smtp_credentials_tenant ON smtp_credentials (tenant_id, created_at);

-- One row per tenant in connector mode: the client networks (CIDR, JSON array) it accepts mail
-- from without AUTH, and whether such a client must have started TLS first.
CREATE TABLE smtp_connectors (
    tenant_id    TEXT    NOT NULL PRIMARY KEY REFERENCES tenants (id),
    networks     TEXT    NOT NULL,
    require_tls  INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL
);
