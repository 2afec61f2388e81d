-- Attachments replaced by a download link (replaceAttachmentsWithLink): one link per message,
-- its files (copied out of the original at delivery into the download store), every download,
-- and the one-time codes that verify a recipient. The token is stored as its SHA-256 hash; its
-- encrypted form is kept only while delivery retries must rebuild the notice.

CREATE TABLE download_links (
    id                      TEXT    NOT NULL PRIMARY KEY,
    message_id              TEXT    NOT NULL UNIQUE REFERENCES messages (id),
    tenant_id               TEXT    NOT NULL REFERENCES tenants (id),
    token_hash              TEXT    NOT NULL UNIQUE,
    token_ciphertext        BLOB    NULL,
    token_key_id            TEXT    NOT NULL,
    status                  TEXT    NOT NULL CHECK (status IN ('active', 'stopped', 'expired', 'ended')),
    expires_at              INTEGER NOT NULL,
    max_downloads_per_file  INTEGER NULL,
    verify_recipient        INTEGER NOT NULL,
    notify_sender           INTEGER NOT NULL,
    created_at              INTEGER NOT NULL,
    updated_at              INTEGER NOT NULL,
    ended_at                INTEGER NULL,
    ended_by                TEXT    NULL,
    ended_reason            TEXT    NULL
);
CREATE INDEX ix_download_links_expiry ON download_links (status, expires_at);

CREATE TABLE download_link_files (
    id            TEXT    NOT NULL PRIMARY KEY,
    link_id       TEXT    NOT NULL REFERENCES download_links (id),
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    position      INTEGER NOT NULL,
    file_name     TEXT    NOT NULL,
    content_type  TEXT    NOT NULL,
    size          INTEGER NOT NULL,
    store_key     TEXT    NOT NULL,
    downloads     INTEGER NOT NULL DEFAULT 0,
    removed_at    INTEGER NULL,
    UNIQUE (link_id, position)
);

CREATE TABLE download_link_downloads (
    id          TEXT    NOT NULL PRIMARY KEY,
    link_id     TEXT    NOT NULL REFERENCES download_links (id),
    file_id     TEXT    NOT NULL REFERENCES download_link_files (id),
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    address     TEXT    NULL,
    ip          TEXT    NULL,
    user_agent  TEXT    NULL,
    at          INTEGER NOT NULL
);
CREATE INDEX ix_download_link_downloads_link ON download_link_downloads (link_id, at);

CREATE TABLE download_link_codes (
    id            TEXT    NOT NULL PRIMARY KEY,
    link_id       TEXT    NOT NULL REFERENCES download_links (id),
    tenant_id     TEXT    NOT NULL REFERENCES tenants (id),
    address       TEXT    NOT NULL,
    code_hash     TEXT    NOT NULL,
    attempts      INTEGER NOT NULL DEFAULT 0,
    expires_at    INTEGER NOT NULL,
    session_hash  TEXT    NULL UNIQUE,
    verified_at   INTEGER NULL,
    created_at    INTEGER NOT NULL
);
CREATE INDEX ix_download_link_codes_link ON download_link_codes (link_id, created_at);
