-- Idempotency keys are chosen by publishers, and publishers of different orgs do not coordinate them: a key is
-- unique within its org only. Keyed on the key alone, one org's job could be reported a duplicate of another
-- org's, naming that org's job id, and never run. Rows from before this migration have no org: they keep an
-- empty one and match no job any more.
ALTER TABLE job_ledger ADD COLUMN org_id text NOT NULL DEFAULT '';
ALTER TABLE job_ledger ALTER COLUMN org_id DROP DEFAULT;
ALTER TABLE job_ledger DROP CONSTRAINT job_ledger_pkey;
ALTER TABLE job_ledger ADD PRIMARY KEY (org_id, idempotency_key);
