-- Attachment encryption: the tenant's templates and locale, and the password mail that follows an
-- encrypted message. The password is kept encrypted (AES-GCM, key from configuration) only until
-- the password mail has gone out or been cancelled; a keyed hash stays to prove which one was used.

ALTER TABLE tenants ADD
    language      NVARCHAR(8)   NOT NULL CONSTRAINT df_tenants_language DEFAULT 'ja',
    time_zone     NVARCHAR(64)  NOT NULL CONSTRAINT df_tenants_time_zone DEFAULT 'Asia/Tokyo',
    zip_file_name NVARCHAR(200) NULL;

CREATE TABLE password_mails (
    id                   NVARCHAR(64)   NOT NULL PRIMARY KEY,
    message_id           NVARCHAR(64)   NOT NULL UNIQUE REFERENCES messages (id),
    tenant_id            NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    status               NVARCHAR(16)   NOT NULL CHECK (status IN ('waiting', 'scheduled', 'sending', 'sent', 'failed', 'cancelled')),
    zip_name             NVARCHAR(400)  NOT NULL,
    password_to          NVARCHAR(16)   NOT NULL CHECK (password_to IN ('recipients', 'sender')),
    delay_ms             BIGINT         NOT NULL,
    password_ciphertext  VARBINARY(256) NULL,
    password_key_id      NVARCHAR(32)   NOT NULL,
    password_hash        NVARCHAR(128)  NOT NULL,
    recipients           NVARCHAR(MAX)  NULL,
    message_id_header    NVARCHAR(1000) NULL,
    due_at               BIGINT         NULL,
    attempts             INT            NOT NULL DEFAULT 0,
    lease_owner          NVARCHAR(200)  NULL,
    lease_until          BIGINT         NULL,
    last_error           NVARCHAR(2000) NULL,
    created_at           BIGINT         NOT NULL,
    updated_at           BIGINT         NOT NULL,
    sent_at              BIGINT         NULL
);
CREATE INDEX ix_password_mails_due ON password_mails (status, due_at) WHERE status IN ('scheduled', 'sending');
