-- Who each sender writes to: the history behind "a first-time address at a domain the sender
-- writes to often" and "companies never mailed together". Recorded with each delivery outcome
-- (the recipients a relay accepted), keyed by the envelope sender in lower case.

CREATE TABLE delivered_contacts (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    sender     TEXT    NOT NULL,
    address    TEXT    NOT NULL,
    domain     TEXT    NOT NULL,
    first_at   INTEGER NOT NULL,
    last_at    INTEGER NOT NULL,
    mails      INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, sender, address)
);

CREATE INDEX ix_delivered_contacts_domain ON delivered_contacts (tenant_id, sender, domain);

-- Two recipient domains in one delivered mail of a sender (domain_a < domain_b).
CREATE TABLE delivered_domain_pairs (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    sender     TEXT    NOT NULL,
    domain_a   TEXT    NOT NULL,
    domain_b   TEXT    NOT NULL,
    first_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, sender, domain_a, domain_b)
);
