-- Webhooks: endpoints with their signing secrets (encrypted at rest, several during a rotation's
-- overlap), one delivery per endpoint and event, every attempt, and how far each tenant's events
-- have been fanned out. Events themselves are message_events, written with the change they
-- describe: the outbox.

CREATE TABLE webhook_endpoints (
    id                    TEXT    NOT NULL PRIMARY KEY,
    tenant_id             TEXT    NOT NULL REFERENCES tenants (id),
    url                   TEXT    NOT NULL,
    description           TEXT    NULL,
    event_types           TEXT    NOT NULL,
    enabled               INTEGER NOT NULL,
    disabled_reason       TEXT    NULL,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL
);
CREATE INDEX ix_webhook_endpoints_tenant ON webhook_endpoints (tenant_id, created_at);

CREATE TABLE webhook_secrets (
    id           TEXT    NOT NULL PRIMARY KEY,
    endpoint_id  TEXT    NOT NULL REFERENCES webhook_endpoints (id),
    ciphertext   BLOB    NOT NULL,
    key_id       TEXT    NOT NULL,
    prefix       TEXT    NOT NULL,
    created_at   INTEGER NOT NULL,
    expires_at   INTEGER NULL
);
CREATE INDEX ix_webhook_secrets_endpoint ON webhook_secrets (endpoint_id);

CREATE TABLE webhook_deliveries (
    id               TEXT    NOT NULL PRIMARY KEY,
    endpoint_id      TEXT    NOT NULL REFERENCES webhook_endpoints (id),
    tenant_id        TEXT    NOT NULL,
    message_id       TEXT    NOT NULL,
    event_seq        INTEGER NOT NULL,
    event_type       TEXT    NOT NULL,
    payload          TEXT    NOT NULL,
    status           TEXT    NOT NULL CHECK (status IN ('pending', 'sending', 'succeeded', 'failed')),
    attempts         INTEGER NOT NULL DEFAULT 0,
    next_attempt_at  INTEGER NOT NULL,
    lease_owner      TEXT    NULL,
    lease_until      INTEGER NULL,
    last_status_code INTEGER NULL,
    last_error       TEXT    NULL,
    created_at       INTEGER NOT NULL,
    updated_at       INTEGER NOT NULL,
    delivered_at     INTEGER NULL,
    UNIQUE (endpoint_id, message_id, event_seq)
);
CREATE INDEX ix_webhook_deliveries_due ON webhook_deliveries (status, next_attempt_at) WHERE status IN ('pending', 'sending');
CREATE INDEX ix_webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, created_at);

CREATE TABLE webhook_attempts (
    delivery_id  TEXT    NOT NULL REFERENCES webhook_deliveries (id),
    attempt      INTEGER NOT NULL,
    at           INTEGER NOT NULL,
    status_code  INTEGER NULL,
    duration_ms  INTEGER NOT NULL,
    error        TEXT    NULL,
    PRIMARY KEY (delivery_id, attempt)
);

CREATE TABLE webhook_cursors (
    tenant_id  TEXT    NOT NULL PRIMARY KEY,
    watermark  INTEGER NOT NULL
);

-- Fan-out reads a tenant's recent events by time.
CREATE INDEX ix_message_events_tenant_at ON message_events (tenant_id, at);
