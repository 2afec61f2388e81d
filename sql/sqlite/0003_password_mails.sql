-- Attachment encryption: the tenant's templates and locale, and the password mail that follows an
-- encrypted message. The password is kept encrypted (AES-GCM, key from configuration) only until
-- the password mail has gone out or been cancelled; a keyed hash stays to prove which one was used.

ALTER TABLE tenants ADD COLUMN language TEXT NOT NULL DEFAULT 'ja';
ALTER TABLE tenants ADD COLUMN time_zone TEXT NOT NULL DEFAULT 'Asia/Tokyo';
ALTER TABLE tenants ADD COLUMN zip_file_name TEXT NULL;

CREATE TABLE password_mails (
    id                   TEXT    NOT NULL PRIMARY KEY,
    message_id           TEXT    NOT NULL UNIQUE REFERENCES messages (id),
    tenant_id            TEXT    NOT NULL REFERENCES tenants (id),
    status               TEXT    NOT NULL CHECK (status IN ('waiting', 'scheduled', 'sending', 'sent', 'failed', 'cancelled')),
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
CREATE INDEX ix_password_mails_due ON password_mails (status, due_at) WHERE status IN ('scheduled', 'sending');
