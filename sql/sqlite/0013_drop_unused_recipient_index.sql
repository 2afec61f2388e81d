-- Every recipient lookup goes by message (the primary key) or by LOWER(address)
-- (ix_message_recipients_lower_address, 0011); the plain address index only cost every
-- submission one more B-tree insert per recipient.

DROP INDEX ix_message_recipients_address;
