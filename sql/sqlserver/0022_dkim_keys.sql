-- DKIM: SendGate changes mail (zips, Bcc conversion, header rewrites), which breaks the sender's
-- own signature, so it signs what it sends. Keys per tenant and sending domain; the private key
-- encrypted under the vault key (bound to its row id), the public key as the DNS record's p=.
-- A key is pending until the tenant has published it and activates it; activating one retires
-- the domain's previous key (rotation with a new selector). One active key per domain.

CREATE TABLE dkim_keys (
    id               NVARCHAR(64)   NOT NULL PRIMARY KEY,
    tenant_id        NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    domain           NVARCHAR(253)  NOT NULL,
    selector         NVARCHAR(63)   NOT NULL,
    key_bits         INT            NOT NULL,
    public_key       NVARCHAR(1000) NOT NULL,
    private_key      VARBINARY(4000) NOT NULL,
    private_key_id   NVARCHAR(64)   NOT NULL,
    status           NVARCHAR(16)   NOT NULL CONSTRAINT ck_dkim_keys_status CHECK (status IN ('pending', 'active', 'retired')),
    created_at       BIGINT         NOT NULL,
    created_by       NVARCHAR(400)  NOT NULL,
    activated_at     BIGINT         NULL,
    retired_at       BIGINT         NULL
);

CREATE UNIQUE INDEX ux_dkim_keys_selector ON dkim_keys (tenant_id, domain, selector);
CREATE UNIQUE INDEX ux_dkim_keys_active ON dkim_keys (tenant_id, domain) WHERE status = 'active';
