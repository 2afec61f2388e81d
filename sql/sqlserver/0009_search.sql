-- Search: attachment names and the rules that decided each message, kept beside the message so
-- that list queries filter by them through indexes instead of reading content or decisions.

CREATE TABLE message_attachments (
    message_id  NVARCHAR(64)  NOT NULL REFERENCES messages (id),
    tenant_id   NVARCHAR(64)  NOT NULL,
    position    INT           NOT NULL,
    name        NVARCHAR(400) NOT NULL,
    PRIMARY KEY (message_id, position)
);
CREATE INDEX ix_message_attachments_tenant ON message_attachments (tenant_id, name);

CREATE TABLE message_rules (
    message_id  NVARCHAR(64) NOT NULL REFERENCES messages (id),
    tenant_id   NVARCHAR(64) NOT NULL,
    rule_id     NVARCHAR(64) NOT NULL,
    PRIMARY KEY (message_id, rule_id)
);
CREATE INDEX ix_message_rules_tenant_rule ON message_rules (tenant_id, rule_id);
