-- Segregation of duties: a mail's sender never decides its approval, except an admin, whose
-- decision on their own mail is marked here (1) for the audit trail.

ALTER TABLE approval_decisions ADD COLUMN own_mail INTEGER NOT NULL DEFAULT 0;
