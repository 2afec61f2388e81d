-- Which company names the tenant's delivered mail greeted at which domain (株式会社クライアント at
-- client.example): the history behind "a salutation naming another customer's company". Recorded
-- once per name and domain, from mail to exactly one external domain.

CREATE TABLE delivered_company_names (
    tenant_id  TEXT    NOT NULL REFERENCES tenants (id),
    name       TEXT    NOT NULL,
    domain     TEXT    NOT NULL,
    first_at   INTEGER NOT NULL,
    PRIMARY KEY (tenant_id, name, domain)
);
