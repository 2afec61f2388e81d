-- Notification mails SendGate writes itself (approval requests and reminders to approvers, the
-- outcome to the sender), queued in the transaction of the change they report; and the signed
-- links in approval mails: only a hash of each token is stored, the token itself only in the mail.

CREATE TABLE notifications (
    id           TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    message_id   TEXT    NOT NULL REFERENCES messages (id),
    approval_id  TEXT    NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('approval_request', 'approval_reminder', 'sender_outcome')),
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
CREATE INDEX ix_notifications_due ON notifications (status, due_at) WHERE status IN ('queued', 'sending');
CREATE INDEX ix_notifications_message ON notifications (message_id);

CREATE TABLE approval_tokens (
    token_hash  TEXT    NOT NULL PRIMARY KEY,
    request_id  TEXT    NOT NULL REFERENCES approval_requests (id),
    tenant_id   TEXT    NOT NULL,
    approver    TEXT    NOT NULL,
    level       INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER NULL,
    created_at  INTEGER NOT NULL
);
