-- Originals go through the blob store too (the blobs table by default with SQL Server, so any node
-- reads any message): a message keeps only the key. Rows already in message_content stay where
-- they are and are still read from there.

CREATE TABLE message_originals (
    message_id  NVARCHAR(64) NOT NULL PRIMARY KEY REFERENCES messages (id),
    blob_key    NVARCHAR(64) NOT NULL,
    size        BIGINT       NOT NULL
);
CREATE INDEX ix_message_originals_blob ON message_originals (blob_key);
