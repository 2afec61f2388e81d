-- The one-time codes of download links are mailed through the notification queue (kind 'link_code').
-- SQLite cannot change a CHECK constraint in place: the table is rebuilt as in 0019.

CREATE TABLE notifications_before_0029 AS SELECT * FROM notifications;
DROP TABLE notifications;
CREATE TABLE notifications (
    id           TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    message_id   TEXT    NULL REFERENCES messages (id),
    approval_id  TEXT    NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('approval_request', 'approval_reminder', 'sender_outcome', 'hold_notice', 'sign_in_link', 'link_code')),
    recipient    TEXT    NOT NULL,
    data         TEXT    NULL,
    status       TEXT    NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    due_at       INTEGER NOT NULL,
    attempts     INTEGER NOT NULL DEFAULT 0,
    lease_owner  TEXT    NULL,
    lease_until  INTEGER NULL,
    last_error   TEXT    NULL,
    created_at   INTEGER NOT NULL,
    updated_at   INTEGER NOT NULL,
    sent_at      INTEGER NULL
);
INSERT INTO notifications (id, tenant_id, message_id, approval_id, kind, recipient, data, status, due_at, attempts, lease_owner, lease_until,
                           last_error, created_at, updated_at, sent_at)
SELECT id, tenant_id, message_id, approval_id, kind, recipient, data, status, due_at, attempts, lease_owner, lease_until,
       last_error, created_at, updated_at, sent_at
  FROM notifications_before_0029;
DROP TABLE notifications_before_0029;
CREATE INDEX ix_notifications_due ON notifications (status, due_at) WHERE status IN ('queued', 'sending');
CREATE INDEX ix_notifications_message ON notifications (message_id);
CREATE INDEX ix_notifications_sign_in ON notifications (tenant_id, recipient, created_at) WHERE kind = 'sign_in_link';
