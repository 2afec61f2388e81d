-- Archive of what was actually sent: after Bcc conversion, encryption and the relay's encoding,
-- one copy per SMTP transaction that reached someone, kept in the blob store (a content-addressed
-- folder by default with SQLite, the blobs table with SQL Server).

CREATE TABLE blobs (
    blob_key    NVARCHAR(64)   NOT NULL PRIMARY KEY,
    content     VARBINARY(MAX) NOT NULL,
    size        BIGINT         NOT NULL,
    created_at  BIGINT         NOT NULL
);

CREATE TABLE message_sent (
    message_id  NVARCHAR(64)   NOT NULL REFERENCES messages (id),
    part        INT            NOT NULL,
    blob_key    NVARCHAR(64)   NOT NULL,
    recipients  NVARCHAR(MAX)  NOT NULL,
    size        BIGINT         NOT NULL,
    sent_at     BIGINT         NOT NULL,
    PRIMARY KEY (message_id, part)
);
CREATE INDEX ix_message_sent_blob ON message_sent (blob_key);
