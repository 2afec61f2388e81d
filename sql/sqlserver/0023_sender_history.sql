-- Who each sender writes to: the history behind "a first-time address at a domain the sender
-- writes to often" and "companies never mailed together". Recorded with each delivery outcome
-- (the recipients a relay accepted), keyed by the envelope sender in lower case.
-- Nonclustered keys: three addresses exceed a clustered key's 900 bytes, not a nonclustered one's 1,700.

CREATE TABLE delivered_contacts (
    tenant_id  NVARCHAR(64)  NOT NULL REFERENCES tenants (id),
    sender     NVARCHAR(254) NOT NULL,
    address    NVARCHAR(254) NOT NULL,
    domain     NVARCHAR(253) NOT NULL,
    first_at   BIGINT        NOT NULL,
    last_at    BIGINT        NOT NULL,
    mails      INT           NOT NULL,
    CONSTRAINT pk_delivered_contacts PRIMARY KEY NONCLUSTERED (tenant_id, sender, address)
);

CREATE INDEX ix_delivered_contacts_domain ON delivered_contacts (tenant_id, sender, domain);

CREATE TABLE delivered_domain_pairs (
    tenant_id  NVARCHAR(64)  NOT NULL REFERENCES tenants (id),
    sender     NVARCHAR(254) NOT NULL,
    domain_a   NVARCHAR(253) NOT NULL,
    domain_b   NVARCHAR(253) NOT NULL,
    first_at   BIGINT        NOT NULL,
    CONSTRAINT pk_delivered_domain_pairs PRIMARY KEY NONCLUSTERED (tenant_id, sender, domain_a, domain_b)
);
