-- Audit trail, keyed: entries written from now on carry an HMAC-SHA-256 under a key kept outside
-- the database (chain_version 2), so that someone who can only write the database cannot rewrite
-- the chain and compute it again. Entries already written keep their plain SHA-256 chain
-- (chain_version 1) and still verify as such.
--
-- audit_heads holds, per tenant, how many entries the trail has and the last hash, signed with the
-- same key and updated in the transaction of every entry: a removed tail or a truncated trail
-- no longer leaves a shorter chain that looks whole. keyed_from is the first entry of the keyed chain
-- (1 for a trail begun with the key), so an entry cannot be passed off as one from before the key.
--
-- The heads of trails that exist now are written here unsigned (this script has no key); the first
-- start with the key signs them and records that as an entry of its own ("SEAL audit trail").

ALTER TABLE audit_log ADD COLUMN chain_version INTEGER NOT NULL DEFAULT 1 CHECK (chain_version IN (1, 2));

CREATE TABLE audit_heads (
    tenant_id   TEXT    NOT NULL PRIMARY KEY REFERENCES tenants (id),
    entries     INTEGER NOT NULL,
    last_hash   TEXT    NOT NULL,
    keyed_from  INTEGER NULL,
    signature   TEXT    NULL,
    updated_at  INTEGER NOT NULL
);

INSERT INTO audit_heads (tenant_id, entries, last_hash, signature, updated_at)
SELECT l.tenant_id, l.seq, l.hash, NULL, l.at
FROM audit_log l
WHERE l.seq = (SELECT MAX(m.seq) FROM audit_log m WHERE m.tenant_id = l.tenant_id);
