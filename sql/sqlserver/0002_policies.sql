-- Policy engine: tenant settings, versioned policies, what each message was decided under, tags,
-- and the domains each tenant has delivered to (first-time and look-alike recipient checks).

ALTER TABLE tenants ADD
    internal_domains NVARCHAR(MAX) NOT NULL CONSTRAINT df_tenants_internal_domains DEFAULT '[]',
    sender_groups    NVARCHAR(MAX) NOT NULL CONSTRAINT df_tenants_sender_groups DEFAULT '{}',
    updated_at       BIGINT        NULL;

-- Every change stores the whole policy again under the next version; rows are never updated,
-- so a message's policy_version always names exactly the rules it was judged by.
CREATE TABLE policy_versions (
    tenant_id   NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    version     INT            NOT NULL,
    document    NVARCHAR(MAX)  NOT NULL,
    change      NVARCHAR(1000) NOT NULL,
    created_by  NVARCHAR(200)  NOT NULL,
    created_at  BIGINT         NOT NULL,
    PRIMARY KEY (tenant_id, version)
);

ALTER TABLE messages ADD
    policy_version INT          NULL,
    hold_mode      NVARCHAR(16) NULL CONSTRAINT ck_messages_hold_mode CHECK (hold_mode IN ('autoRelease', 'review', 'selfAudit'));

CREATE TABLE message_tags (
    message_id  NVARCHAR(64)  NOT NULL REFERENCES messages (id),
    tenant_id   NVARCHAR(64)  NOT NULL,
    tag         NVARCHAR(64)  NOT NULL,
    PRIMARY KEY (message_id, tag)
);
CREATE INDEX ix_message_tags_tenant_tag ON message_tags (tenant_id, tag);

CREATE TABLE delivered_domains (
    tenant_id          NVARCHAR(64)  NOT NULL REFERENCES tenants (id),
    domain             NVARCHAR(255) NOT NULL,
    first_delivered_at BIGINT        NOT NULL,
    first_message_id   NVARCHAR(64)  NOT NULL,
    PRIMARY KEY (tenant_id, domain)
);

-- History from before this table existed: every domain a relay has already accepted mail for.
INSERT INTO delivered_domains (tenant_id, domain, first_delivered_at, first_message_id)
SELECT m.tenant_id, LOWER(SUBSTRING(r.address, CHARINDEX('@', r.address) + 1, 255)), MIN(COALESCE(r.updated_at, m.created_at)), MIN(m.id)
  FROM message_recipients r JOIN messages m ON m.id = r.message_id
 WHERE r.status = 'accepted' AND CHARINDEX('@', r.address) > 0
 GROUP BY m.tenant_id, LOWER(SUBSTRING(r.address, CHARINDEX('@', r.address) + 1, 255));
