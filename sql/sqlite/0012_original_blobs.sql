-- Originals go through the blob store too (a content-addressed folder by default with SQLite, the
-- blobs table with SQL Server): a message keeps only the key. Rows already in message_content stay
-- where they are and are still read from there.

CREATE TABLE message_originals (
    message_id  TEXT    NOT NULL PRIMARY KEY REFERENCES messages (id),
    blob_key    TEXT    NOT NULL,
    size        INTEGER NOT NULL
);
CREATE INDEX ix_message_originals_blob ON message_originals (blob_key);
