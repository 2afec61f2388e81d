-- Every recipient lookup goes by message (the clustered key) or by address_lower
-- (ix_message_recipients_lower_address, 0011); the plain address index only cost every
-- submission one more B-tree insert per recipient.

DROP INDEX ix_message_recipients_address ON message_recipients;
