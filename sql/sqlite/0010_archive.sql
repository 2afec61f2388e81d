-- Archive of what was actually sent: after Bcc conversion, encryption and the relay's encoding,
-- one copy per SMTP transaction that reached someone, kept in the blob store (a content-addressed
-- folder by default with SQLite, the blobs table with SQL Server).

CREATE TABLE blobs (
    blob_key    TEXT    NOT NULL PRIMARY KEY,
    content     BLOB    NOT NULL,
    size        INTEGER NOT NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE message_sent (
    message_id  TEXT    NOT NULL REFERENCES messages (id),
    part        INTEGER NOT NULL,
    blob_key    TEXT    NOT NULL,
    recipients  TEXT    NOT NULL,
    size        INTEGER NOT NULL,
    sent_at     INTEGER NOT NULL,
    PRIMARY KEY (message_id, part)
);
CREATE INDEX ix_message_sent_blob ON message_sent (blob_key);
