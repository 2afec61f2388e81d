-- Retention: how long a tenant keeps mail content (and whether the metadata outlives it), and the
-- legal hold that keeps one message whatever the retention says.

ALTER TABLE tenants ADD
    retention     NVARCHAR(32) NULL,
    keep_metadata BIT          NOT NULL CONSTRAINT df_tenants_keep_metadata DEFAULT 1;
ALTER TABLE messages ADD
    legal_hold        BIT    NOT NULL CONSTRAINT df_messages_legal_hold DEFAULT 0,
    content_purged_at BIGINT NULL;
