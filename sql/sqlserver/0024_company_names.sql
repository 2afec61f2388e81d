-- Which company names the tenant's delivered mail greeted at which domain (株式会社クライアント at
-- client.example): the history behind "a salutation naming another customer's company". Recorded
-- once per name and domain, from mail to exactly one external domain.

CREATE TABLE delivered_company_names (
    tenant_id  NVARCHAR(64)  NOT NULL REFERENCES tenants (id),
    name       NVARCHAR(200) NOT NULL,
    domain     NVARCHAR(253) NOT NULL,
    first_at   BIGINT        NOT NULL,
    CONSTRAINT pk_delivered_company_names PRIMARY KEY NONCLUSTERED (tenant_id, name, domain)
);
