-- Segregation of duties: a mail's sender never decides its approval, except an admin, whose
-- decision on their own mail is marked here (1) for the audit trail.

ALTER TABLE approval_decisions ADD own_mail BIT NOT NULL CONSTRAINT df_approval_decisions_own_mail DEFAULT 0;
