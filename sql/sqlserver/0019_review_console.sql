-- The review console: the roles admins give people (by mail address) and each person's language;
-- each tenant's sign-in settings (its own OpenID Connect provider, links by mail); and the links
-- that sign a person in, kept only as hashes (the token itself is only ever in the mail).
-- Notifications gain the sign-in link mail, which is about no message, and the hold notice.

CREATE TABLE console_people (
    tenant_id   NVARCHAR(64)  NOT NULL REFERENCES tenants (id),
    address     NVARCHAR(320) NOT NULL,
    role        NVARCHAR(16)  NULL CHECK (role IN ('reviewer', 'admin')),
    language    NVARCHAR(8)   NULL CHECK (language IN ('ja', 'en')),
    updated_at  BIGINT        NOT NULL,
    updated_by  NVARCHAR(400) NOT NULL,
    PRIMARY KEY (tenant_id, address)
);

CREATE TABLE console_sign_in (
    tenant_id            NVARCHAR(64)   NOT NULL PRIMARY KEY REFERENCES tenants (id),
    mail_links           BIT            NOT NULL,
    oidc_authority       NVARCHAR(2000) NULL,
    oidc_client_id       NVARCHAR(400)  NULL,
    oidc_secret          VARBINARY(MAX) NULL,
    oidc_secret_key_id   NVARCHAR(64)   NULL,
    oidc_address_claim   NVARCHAR(100)  NOT NULL,
    updated_at           BIGINT         NOT NULL
);

CREATE TABLE console_links (
    token_hash  NVARCHAR(64)  NOT NULL PRIMARY KEY,
    tenant_id   NVARCHAR(64)  NOT NULL REFERENCES tenants (id),
    address     NVARCHAR(320) NOT NULL,
    message_id  NVARCHAR(64)  NULL,
    expires_at  BIGINT        NOT NULL,
    used_at     BIGINT        NULL,
    created_at  BIGINT        NOT NULL
);
GO

-- The kind CHECK was created without a name, so it is found by its column.
DECLARE @dropKindCheck NVARCHAR(400) = (SELECT N'ALTER TABLE notifications DROP CONSTRAINT ' + QUOTENAME(name) FROM sys.check_constraints
                                         WHERE parent_object_id = OBJECT_ID(N'notifications') AND COL_NAME(parent_object_id, parent_column_id) = N'kind');
EXEC sp_executesql @dropKindCheck;
DROP INDEX ix_notifications_message ON notifications;
ALTER TABLE notifications ALTER COLUMN message_id NVARCHAR(64) NULL;
CREATE INDEX ix_notifications_message ON notifications (message_id);
ALTER TABLE notifications ADD CONSTRAINT ck_notifications_kind
    CHECK (kind IN ('approval_request', 'approval_reminder', 'sender_outcome', 'hold_notice', 'sign_in_link'));
CREATE INDEX ix_notifications_sign_in ON notifications (tenant_id, recipient, created_at) WHERE kind = 'sign_in_link';
