-- Notification mails SendGate writes itself (approval requests and reminders to approvers, the
-- outcome to the sender), queued in the transaction of the change they report; and the signed
-- links in approval mails: only a hash of each token is stored, the token itself only in the mail.

CREATE TABLE notifications (
    id           NVARCHAR(64)   NOT NULL PRIMARY KEY,
    tenant_id    NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    message_id   NVARCHAR(64)   NOT NULL REFERENCES messages (id),
    approval_id  NVARCHAR(64)   NULL,
    kind         NVARCHAR(32)   NOT NULL CHECK (kind IN ('approval_request', 'approval_reminder', 'sender_outcome')),
    recipient    NVARCHAR(320)  NOT NULL,
    data         NVARCHAR(MAX)  NULL,
    status       NVARCHAR(16)   NOT NULL CHECK (status IN ('queued', 'sending', 'sent', 'failed')),
    due_at       BIGINT         NOT NULL,
    attempts     INT            NOT NULL DEFAULT 0,
    lease_owner  NVARCHAR(200)  NULL,
    lease_until  BIGINT         NULL,
    last_error   NVARCHAR(2000) NULL,
    created_at   BIGINT         NOT NULL,
    updated_at   BIGINT         NOT NULL,
    sent_at      BIGINT         NULL
);
CREATE INDEX ix_notifications_due ON notifications (status, due_at) WHERE status IN ('queued', 'sending');
CREATE INDEX ix_notifications_message ON notifications (message_id);

CREATE TABLE approval_tokens (
    token_hash  NVARCHAR(64)   NOT NULL PRIMARY KEY,
    request_id  NVARCHAR(64)   NOT NULL REFERENCES approval_requests (id),
    tenant_id   NVARCHAR(64)   NOT NULL,
    approver    NVARCHAR(320)  NOT NULL,
    level       INT            NOT NULL,
    expires_at  BIGINT         NOT NULL,
    used_at     BIGINT         NULL,
    created_at  BIGINT         NOT NULL
);
