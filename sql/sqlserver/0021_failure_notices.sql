-- Whether the sender of a mail that could not be delivered (or that some recipients refused) is
-- told, as an MTA's bounce would tell them. On by default.

ALTER TABLE tenants ADD failure_notices BIT NOT NULL CONSTRAINT df_tenants_failure_notices DEFAULT 1;
