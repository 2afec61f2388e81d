-- Attachments replaced by a download link (replaceAttachmentsWithLink): one link per message,
-- its files (copied out of the original at delivery into the download store), every download,
-- and the one-time codes that verify a recipient. The token is stored as its SHA-256 hash; its
-- encrypted form is kept only while delivery retries must rebuild the notice.

CREATE TABLE download_links (
    id                      NVARCHAR(64)   NOT NULL PRIMARY KEY,
    message_id              NVARCHAR(64)   NOT NULL UNIQUE REFERENCES messages (id),
    tenant_id               NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    token_hash              NVARCHAR(64)   NOT NULL UNIQUE,
    token_ciphertext        VARBINARY(256) NULL,
    token_key_id            NVARCHAR(32)   NOT NULL,
    status                  NVARCHAR(16)   NOT NULL CHECK (status IN ('active', 'stopped', 'expired', 'ended')),
    expires_at              BIGINT         NOT NULL,
    max_downloads_per_file  INT            NULL,
    verify_recipient        BIT            NOT NULL,
    notify_sender           BIT            NOT NULL,
    created_at              BIGINT         NOT NULL,
    updated_at              BIGINT         NOT NULL,
    ended_at                BIGINT         NULL,
    ended_by                NVARCHAR(400)  NULL,
    ended_reason            NVARCHAR(400)  NULL
);
CREATE INDEX ix_download_links_expiry ON download_links (status, expires_at);

CREATE TABLE download_link_files (
    id            NVARCHAR(64)   NOT NULL PRIMARY KEY,
    link_id       NVARCHAR(64)   NOT NULL REFERENCES download_links (id),
    tenant_id     NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    position      INT            NOT NULL,
    file_name     NVARCHAR(1000) NOT NULL,
    content_type  NVARCHAR(200)  NOT NULL,
    size          BIGINT         NOT NULL,
    store_key     NVARCHAR(400)  NOT NULL,
    downloads     INT            NOT NULL DEFAULT 0,
    removed_at    BIGINT         NULL,
    CONSTRAINT uq_download_link_files_position UNIQUE (link_id, position)
);

CREATE TABLE download_link_downloads (
    id          NVARCHAR(64)   NOT NULL PRIMARY KEY,
    link_id     NVARCHAR(64)   NOT NULL REFERENCES download_links (id),
    file_id     NVARCHAR(64)   NOT NULL REFERENCES download_link_files (id),
    tenant_id   NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    address     NVARCHAR(320)  NULL,
    ip          NVARCHAR(64)   NULL,
    user_agent  NVARCHAR(1000) NULL,
    at          BIGINT         NOT NULL
);
CREATE INDEX ix_download_link_downloads_link ON download_link_downloads (link_id, at);

CREATE TABLE download_link_codes (
    id            NVARCHAR(64)   NOT NULL PRIMARY KEY,
    link_id       NVARCHAR(64)   NOT NULL REFERENCES download_links (id),
    tenant_id     NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    address       NVARCHAR(320)  NOT NULL,
    code_hash     NVARCHAR(128)  NOT NULL,
    attempts      INT            NOT NULL DEFAULT 0,
    expires_at    BIGINT         NOT NULL,
    session_hash  NVARCHAR(64)   NULL,
    verified_at   BIGINT         NULL,
    created_at    BIGINT         NOT NULL
);
CREATE UNIQUE INDEX ux_download_link_codes_session ON download_link_codes (session_hash) WHERE session_hash IS NOT NULL;
CREATE INDEX ix_download_link_codes_link ON download_link_codes (link_id, created_at);
