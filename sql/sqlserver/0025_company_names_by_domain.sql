-- Whom a domain's delivered mail greeted (hokkai-bank.co.jp was greeted as 北海銀行): read per
-- decision for the recipients' domains, so that a salutation naming another bank at that domain
-- is noticed even when the other name was never seen.

CREATE INDEX ix_delivered_company_names_domain ON delivered_company_names (tenant_id, domain) INCLUDE (name);
