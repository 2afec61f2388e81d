-- Every work queue (messages, password_mails, notifications, webhook_deliveries) has one shape:
-- status 'queued' until due_at, 'sending' while lease_owner holds it until lease_until, then
-- 'sent' or 'failed' (or 'cancelled'); attempts, last_error, updated_at and sent_at alike. The
-- published API keeps its own words (a webhook delivery is still "pending"/"succeeded", a
-- password mail "scheduled"). The status CHECK constraints were created without names, so they
-- are found by their column; the filtered due indexes name the old words and are made anew.

EXEC sp_rename 'messages.next_attempt_at', 'due_at', 'COLUMN';
EXEC sp_rename 'webhook_deliveries.next_attempt_at', 'due_at', 'COLUMN';
EXEC sp_rename 'webhook_deliveries.delivered_at', 'sent_at', 'COLUMN';
GO

DECLARE @dropPasswordCheck NVARCHAR(400) = (SELECT N'ALTER TABLE password_mails DROP CONSTRAINT ' + QUOTENAME(name) FROM sys.check_constraints
                                             WHERE parent_object_id = OBJECT_ID(N'password_mails') AND COL_NAME(parent_object_id, parent_column_id) = N'status');
EXEC sp_executesql @dropPasswordCheck;
DROP INDEX ix_password_mails_due ON password_mails;
UPDATE password_mails SET status = 'queued' WHERE status = 'scheduled';
ALTER TABLE password_mails ADD CONSTRAINT ck_password_mails_status
    CHECK (status IN ('waiting', 'queued', 'sending', 'sent', 'failed', 'cancelled'));
CREATE INDEX ix_password_mails_due ON password_mails (status, due_at) WHERE status IN ('queued', 'sending');

DECLARE @dropWebhookCheck NVARCHAR(400) = (SELECT N'ALTER TABLE webhook_deliveries DROP CONSTRAINT ' + QUOTENAME(name) FROM sys.check_constraints
                                            WHERE parent_object_id = OBJECT_ID(N'webhook_deliveries') AND COL_NAME(parent_object_id, parent_column_id) = N'status');
EXEC sp_executesql @dropWebhookCheck;
DROP INDEX ix_webhook_deliveries_due ON webhook_deliveries;
UPDATE webhook_deliveries SET status = CASE status WHEN 'pending' THEN 'queued' WHEN 'succeeded' THEN 'sent' ELSE status END;
ALTER TABLE webhook_deliveries ADD CONSTRAINT ck_webhook_deliveries_status CHECK (status IN ('queued', 'sending', 'sent', 'failed'));
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (status, due_at) WHERE status IN ('queued', 'sending');
