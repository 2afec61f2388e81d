-- Policy engine: tenant settings, versioned policies, what each message was decided under, tags,
-- and the domains each tenant has delivered to (first-time and look-alike recipient checks).

ALTER TABLE tenants ADD COLUMN internal_domains TEXT NOT NULL DEFAULT '[]';
ALTER TABLE tenants ADD COLUMN sender_groups TEXT NOT NULL DEFAULT '{}';
ALTER TABLE tenants ADD COLUMN updated_at INTEGER NULL;

-- Every change stores the whole policy again under the next version; rows are never updated,
-- so a message's policy_version always names exactly the rules it was judged by.
CREATE TABLE policy_versions (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    version     INTEGER NOT NULL,
    document    TEXT    NOT NULL,
    change      TEXT    NOT NULL,
    created_by  TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

ALTER TABLE messages ADD COLUMN policy_version INTEGER NULL;
ALTER TABLE messages ADD COLUMN hold_mode TEXT NULL CHECK (hold_mode IN ('autoRelease', 'review', 'selfAudit'));

CREATE TABLE message_tags (
    message_id  TEXT NOT NULL REFERENCES messages (id),
    tenant_id   TEXT NOT NULL,
    tag         TEXT NOT NULL,
    PRIMARY KEY (message_id, tag)
);
CREATE INDEX ix_message_tags_tenant_tag ON message_tags (tenant_id, tag);

CREATE TABLE delivered_domains (
    tenant_id          TEXT    NOT NULL REFERENCES tenants (id),
    domain             TEXT    NOT NULL,
    first_delivered_at INTEGER NOT NULL,
    first_message_id   TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, domain)
);

-- History from before this table existed: every domain a relay has already accepted mail for.
INSERT INTO delivered_domains (tenant_id, domain, first_delivered_at, first_message_id)
SELECT m.tenant_id, LOWER(SUBSTR(r.address, INSTR(r.address, '@') + 1)), MIN(COALESCE(r.updated_at, m.created_at)), MIN(m.id)
  FROM message_recipients r JOIN messages m ON m.id = r.message_id
 WHERE r.status = 'accepted' AND INSTR(r.address, '@') > 0
 GROUP BY m.tenant_id, LOWER(SUBSTR(r.address, INSTR(r.address, '@') + 1));
