-- Webhooks: endpoints with their signing secrets (encrypted at rest, several during a rotation's
-- overlap), one delivery per endpoint and event, every attempt, and how far each tenant's events
-- have been fanned out. Events themselves are message_events, written with the change they
-- describe: the outbox.

CREATE TABLE webhook_endpoints (
    id                    NVARCHAR(64)   NOT NULL PRIMARY KEY,
    tenant_id             NVARCHAR(64)   NOT NULL REFERENCES tenants (id),
    url                   NVARCHAR(2000) NOT NULL,
    description           NVARCHAR(500)  NULL,
    event_types           NVARCHAR(MAX)  NOT NULL,
    enabled               BIT            NOT NULL,
    disabled_reason       NVARCHAR(500)  NULL,
    consecutive_failures  INT            NOT NULL DEFAULT 0,
    created_at            BIGINT         NOT NULL,
    updated_at            BIGINT         NOT NULL
);
CREATE INDEX ix_webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE webhook_secrets (
    id           NVARCHAR(64)   NOT NULL PRIMARY KEY,
    endpoint_id  NVARCHAR(64)   NOT NULL REFERENCES webhook_endpoints (id),
    ciphertext   VARBINARY(256) NOT NULL,
    key_id       NVARCHAR(32)   NOT NULL,
    prefix       NVARCHAR(32)   NOT NULL,
    created_at   BIGINT         NOT NULL,
    expires_at   BIGINT         NULL
);
CREATE INDEX ix_webhook_secrets_endpoint ON webhook_secrets (endpoint_id);

CREATE TABLE webhook_deliveries (
    id               NVARCHAR(64)   NOT NULL PRIMARY KEY,
    endpoint_id      NVARCHAR(64)   NOT NULL REFERENCES webhook_endpoints (id),
    tenant_id        NVARCHAR(64)   NOT NULL,
    message_id       NVARCHAR(64)   NOT NULL,
    event_seq        INT            NOT NULL,
    event_type       NVARCHAR(64)   NOT NULL,
    payload          NVARCHAR(MAX)  NOT NULL,
    status           NVARCHAR(16)   NOT NULL CHECK (status IN ('pending', 'sending', 'succeeded', 'failed')),
    attempts         INT            NOT NULL DEFAULT 0,
    next_attempt_at  BIGINT         NOT NULL,
    lease_owner      NVARCHAR(200)  NULL,
    lease_until      BIGINT         NULL,
    last_status_code INT            NULL,
    last_error       NVARCHAR(2000) NULL,
    created_at       BIGINT         NOT NULL,
    updated_at       BIGINT         NOT NULL,
    delivered_at     BIGINT         NULL,
    CONSTRAINT uq_webhook_deliveries_event UNIQUE (endpoint_id, message_id, event_seq)
);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX ix_webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id  NVARCHAR(64)   NOT NULL REFERENCES webhook_deliveries (id),
    attempt      INT            NOT NULL,
    at           BIGINT         NOT NULL,
    status_code  INT            NULL,
    duration_ms  BIGINT         NOT NULL,
    error        NVARCHAR(2000) NULL,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE webhook_cursors (
    tenant_id  NVARCHAR(64)   NOT NULL PRIMARY KEY,
    watermark  BIGINT         NOT NULL
);

-- Fan-out reads a tenant's recent events by time.
CREATE INDEX ix_message_events_tenant_at ON message_events (tenant_id, at);
