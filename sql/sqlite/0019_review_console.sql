-- The review console: the roles admins give people (by mail address) and each person's language;
-- each tenant's sign-in settings (its own OpenID Connect provider, links by mail); and the links
-- that sign a person in, kept only as hashes (the token itself is only ever in the mail).
-- Notifications gain the sign-in link mail, which is about no message, and the hold notice.

PRAGMA defer_foreign_keys = ON;

CREATE TABLE console_people (
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    address     TEXT    NOT NULL,
    role        TEXT    NULL CHECK (role IN ('reviewer', 'admin')),
    language    TEXT    NULL CHECK (language IN ('ja', 'en')),
    updated_at  INTEGER NOT NULL,
    updated_by  TEXT    NOT NULL,
    PRIMARY KEY (tenant_id, address)
);

CREATE TABLE console_sign_in (
    tenant_id            TEXT    NOT NULL PRIMARY KEY REFERENCES tenants (id),
    mail_links           INTEGER NOT NULL,
    oidc_authority       TEXT    NULL,
    oidc_client_id       TEXT    NULL,
    oidc_secret          BLOB    NULL,
    oidc_secret_key_id   TEXT    NULL,
    oidc_address_claim   TEXT    NOT NULL,
    updated_at           INTEGER NOT NULL
);

CREATE TABLE console_links (
    token_hash  TEXT    NOT NULL PRIMARY KEY,
    tenant_id   TEXT    NOT NULL REFERENCES tenants (id),
    address     TEXT    NOT NULL,
    message_id  TEXT    NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER NULL,
    created_at  INTEGER NOT NULL
);

CREATE TABLE notifications_before_0019 AS SELECT * FROM notifications;
DROP TABLE notifications;
CREATE TABLE notifications (
    id           TEXT    NOT NULL PRIMARY KEY,
    tenant_id    TEXT    NOT NULL REFERENCES tenants (id),
    message_id   TEXT    NULL REFERENCES messages (id),
    approval_id  TEXT    NULL,
    kind         TEXT    NOT NULL CHECK (kind IN ('approval_request', 'approval_reminder', 'sender_outcome', 'hold_notice', 'sign_in_link')),
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
  FROM notifications_before_0019;
DROP TABLE notifications_before_0019;
CREATE INDEX ix_notifications_due ON notifications (status, due_at) WHERE status IN ('queued', 'sending');
CREATE INDEX ix_notifications_message ON notifications (message_id);
-- Sign-in links are limited per address: the requests of the last minutes are counted here.
CREATE INDEX ix_notifications_sign_in ON notifications (tenant_id, recipient, created_at) WHERE kind = 'sign_in_link';
