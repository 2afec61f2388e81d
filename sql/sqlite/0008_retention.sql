-- Retention: how long a tenant keeps mail content (and whether the metadata outlives it), and the
-- legal hold that keeps one message whatever the retention says.

ALTER TABLE tenants ADD COLUMN retention TEXT NULL;
ALTER TABLE tenants ADD COLUMN keep_metadata INTEGER NOT NULL DEFAULT 1;
ALTER TABLE messages ADD COLUMN legal_hold INTEGER NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN content_purged_at INTEGER NULL;
