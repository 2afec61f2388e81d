-- Search indexes for GET /v1/messages (see bench/README.md, "Search over 1,000,000 messages").
-- Filters on the message itself read an index that also gives the newest-first order, so a page
-- stops after its rows; side-table filters find their messages through an index on the value.

CREATE INDEX ix_messages_tenant_status_created ON messages (tenant_id, status, created_at DESC, id DESC);

-- The queries compare LOWER(address); SQL Server matches that expression to these persisted
-- computed columns, so the comparisons seek.
ALTER TABLE messages ADD envelope_from_lower AS LOWER(envelope_from) PERSISTED;
GO
CREATE INDEX ix_messages_tenant_from_created ON messages (tenant_id, envelope_from_lower, created_at DESC, id DESC);

-- The envelope recipients of a message are its rows here (To, Cc and Bcc alike).
ALTER TABLE message_recipients ADD address_lower AS LOWER(address) PERSISTED;
GO
CREATE INDEX ix_message_recipients_lower_address ON message_recipients (address_lower, message_id);

-- Tag and rule indexes already carry message_id (the clustered key). Subject and attachment-name
-- substrings stay LIKE '%term%' scans here: full-text search is word-based and not in every edition.
