-- Search indexes for GET /v1/messages (see bench/README.md, "Search over 1,000,000 messages").
-- Filters on the message itself read an index that also gives the newest-first order, so a page
-- stops after its rows; side-table filters find their messages through an index on the value.

CREATE INDEX ix_messages_tenant_status_created ON messages (tenant_id, status, created_at DESC, id DESC);

-- Addresses are searched case-insensitively; the query's LOWER(envelope_from) is this expression.
CREATE INDEX ix_messages_tenant_from_created ON messages (tenant_id, LOWER(envelope_from), created_at DESC, id DESC);

-- The envelope recipients of a message are its rows here (To, Cc and Bcc alike).
CREATE INDEX ix_message_recipients_lower_address ON message_recipients (LOWER(address), message_id);

-- With message_id in the index, finding a tag's or rule's messages never reads the table.
DROP INDEX ix_message_tags_tenant_tag;
CREATE INDEX ix_message_tags_tenant_tag ON message_tags (tenant_id, tag, message_id);
DROP INDEX ix_message_rules_tenant_rule;
CREATE INDEX ix_message_rules_tenant_rule ON message_rules (tenant_id, rule_id, message_id);

-- Substring search on subjects and attachment names: FTS5 trigram indexes over the text kept in
-- messages and message_attachments (external content: the text is not stored twice). They find
-- candidates for terms of 3 characters or more, Japanese included; the query still applies its
-- LIKE, so results are exactly what the LIKE alone would give. Keyed by rowid: should the two
-- ever disagree (a restore that renumbers rows), rebuild with
--   INSERT INTO message_subject_search (message_subject_search) VALUES ('rebuild');
--   INSERT INTO message_attachment_search (message_attachment_search) VALUES ('rebuild');
CREATE VIRTUAL TABLE message_subject_search USING fts5 (subject, content = 'messages', content_rowid = 'rowid', tokenize = 'trigram');
INSERT INTO message_subject_search (message_subject_search) VALUES ('rebuild');

CREATE TRIGGER messages_subject_search_insert AFTER INSERT ON messages BEGIN
    INSERT INTO message_subject_search (rowid, subject) VALUES (new.rowid, new.subject);
END;
CREATE TRIGGER messages_subject_search_delete AFTER DELETE ON messages BEGIN
    INSERT INTO message_subject_search (message_subject_search, rowid, subject) VALUES ('delete', old.rowid, old.subject);
END;
CREATE TRIGGER messages_subject_search_update AFTER UPDATE OF subject ON messages BEGIN
    INSERT INTO message_subject_search (message_subject_search, rowid, subject) VALUES ('delete', old.rowid, old.subject);
    INSERT INTO message_subject_search (rowid, subject) VALUES (new.rowid, new.subject);
END;

CREATE VIRTUAL TABLE message_attachment_search USING fts5 (name, content = 'message_attachments', content_rowid = 'rowid', tokenize = 'trigram');
INSERT INTO message_attachment_search (message_attachment_search) VALUES ('rebuild');

CREATE TRIGGER message_attachments_search_insert AFTER INSERT ON message_attachments BEGIN
    INSERT INTO message_attachment_search (rowid, name) VALUES (new.rowid, new.name);
END;
CREATE TRIGGER message_attachments_search_delete AFTER DELETE ON message_attachments BEGIN
    INSERT INTO message_attachment_search (message_attachment_search, rowid, name) VALUES ('delete', old.rowid, old.name);
END;
CREATE TRIGGER message_attachments_search_update AFTER UPDATE OF name ON message_attachments BEGIN
    INSERT INTO message_attachment_search (message_attachment_search, rowid, name) VALUES ('delete', old.rowid, old.name);
    INSERT INTO message_attachment_search (rowid, name) VALUES (new.rowid, new.name);
END;
