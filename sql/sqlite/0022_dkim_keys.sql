-- DKIM: SendGate changes mail (zips, Bcc conversion, header rewrites), which breaks the sender's
-- own signature, so it signs what it sends. Keys per tenant and sending domain; the private key
-- encrypted under the vault key (bound to its row id), the public key as the DNS record's p=.
-- A key is pending until the tenant has published it and activates it; activating one retires
-- the domain's previous key (rotation with a new selector). One active key per domain.

CREATE TABLE dkim_keys (
    id               TEXT    NOT NULL PRIMARY KEY,
    tenant_id        TEXT    NOT NULL REFERENCES tenants (id),
    domain           TEXT    NOT NULL,
    selector         TEXT    NOT NULL,
    key_bits         INTEGER NOT NULL,
    public_key       TEXT    NOT NULL,
    private_key      BLOB    NOT NULL,
    private_key_id   TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'active', 'retired')),
    created_at       INTEGER NOT NULL,
    created_by       TEXT    NOT NULL,
    activated_at     INTEGER NULL,
    retired_at       INTEGER NULL
);

CREATE UNIQUE INDEX ux_dkim_keys_selector ON dkim_keys (tenant_id, domain, selector);
CREATE UNIQUE INDEX ux_dkim_keys_active ON dkim_keys (tenant_id, domain) WHERE status = 'active';
