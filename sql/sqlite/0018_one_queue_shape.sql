-- Every work queue (messages, password_mails, notifications, webhook_deliveries) has one shape:
-- status 'queued' until due_at, 'sending' while lease_owner holds it until lease_until, then
-- 'sent' or 'failed' (or 'cancelled'); attempts, last_error, updated_at and sent_at alike. The
-- published API keeps its own words (a webhook delivery is still "pending"/"succeeded", a
-- password mail "scheduled"). SQLite cannot change a CHECK constraint, so the two tables whose
-- status words change are rebuilt; deferred foreign keys let webhook_attempts point at the
-- rebuilt webhook_deliveries, whose rows keep their ids.

PRAGMA defer_foreign_keys = ON;

ALTER TABLE messages RENAME COLUMN next_attempt_at TO due_at;

CREATE TABLE password_mails_before_0018 AS SELECT * FROM password_mails;
DROP TABLE password_mails;
CREATE TABLE password_mails (
    id                   TEXT    NOT NULL PRIMARY KEY,
    message_id           TEXT    NOT NULL UNIQUE REFERENCES messages (id),
    tenant_id            TEXT    NOT NULL REFERENCES tenants (id),
    status               TEXT    NOT NULL CHECK (status IN ('waiting', 'queued', 'sending', 'sent', 'failed', 'cancelled')),
    zip_name             TEXT    NOT NULL,
    password_to          TEXT    NOT NULL CHECK (password_to IN ('recipients', 'sender')),
    delay_ms             INTEGER NOT NULL,
    password_ciphertext  BLOB    NULL,
    password_key_id      TEXT    NOT NULL,
    password_hash        TEXT    NOT NULL,
    recipients           TEXT    NULL,
    message_id_header    TEXT    NULL,
    due_at               INTEGER NULL,
    attempts             INTEGER NOT NULL DEFAULT 0,
    lease_owner          TEXT    NULL,
    lease_until          INTEGER NULL,
    last_error           TEXT    NULL,
    created_at           INTEGER NOT NULL,
    updated_at           INTEGER NOT NULL,
    sent_at              INTEGER NULL
);
INSERT INTO password_mails (id, message_id, tenant_id, status, zip_name, password_to, delay_ms, password_ciphertext, password_key_id,
                            password_hash, recipients, message_id_header, due_at, attempts, lease_owner, lease_until, last_error,
                            created_at, updated_at, sent_at)
SELECT id, message_id, tenant_id, CASE status WHEN 'scheduled' THEN 'queued' ELSE status END, zip_name, password_to, delay_ms,
       password_ciphertext, password_key_id, password_hash, recipients, message_id_header, due_at, attempts, lease_owner, lease_until,
       last_error, created_at, updated_at, sent_at
  FROM password_mails_before_0018;
DROP TABLE password_mails_before_0018;
CREATE INDEX ix_password_mails_due ON password_mails (status, due_at) WHERE status IN ('queued', 'sending');

CREATE TABLE webhook_deliveries_before_0018 AS SELECT * FROM webhook_deliveries;
DROP TABLE webhook_deliveries;
CREATE TABLE webhook_deliveries (
    id               TEXT    NOT NULL PRIMARY KEY,
    endpoint_id      TEXT    NOT NULL REFERENCES webhook_endpoints (id),
    tenant_id        TEXT    NOT NULL,
    message_id       TEXT    NOT NULL,
    event_seq        INTEGER NOT NULL,
    event_type       TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    due_at           INTEGER NOT NULL,
    lease_owner      TEXT    NULL,
    lease_until      INTEGER NULL,
    last_status_code INTEGER NULL,
    last_error       TEXT    NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    sent_at          INTEGER NULL,
    UNIQUE (endpoint_id, message_id, event_seq)
);
INSERT INTO webhook_deliveries (id, endpoint_id, tenant_id, message_id, event_seq, event_type, payload, status, attempts, due_at,
                                lease_owner, lease_until, last_status_code, last_error, created_at, updated_at, sent_at)
SELECT id, endpoint_id, tenant_id, message_id, event_seq, event_type, payload,
       CASE status WHEN 'pending' THEN 'queued' WHEN 'succeeded' THEN 'sent' ELSE status END, attempts, next_attempt_at,
       lease_owner, lease_until, last_status_code, last_error, created_at, updated_at, delivered_at
  FROM webhook_deliveries_before_0018;
DROP TABLE webhook_deliveries_before_0018;
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (status, due_at) WHERE status IN ('queued', 'sending');
CREATE INDEX ix_webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);
