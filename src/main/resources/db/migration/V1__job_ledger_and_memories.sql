-- The idempotency ledger: one row per idempotency key. A key is 'running' while a worker holds the job
-- (until lease_until, or until JetStream redelivers the same job) and 'completed' once its outcome is durable.
CREATE TABLE job_ledger (
    idempotency_key text        PRIMARY KEY,
    job_id          text        NOT NULL,
    status          text        NOT NULL CHECK (status IN ('running', 'completed')),
    owner           text        NOT NULL,
    delivery        integer     NOT NULL,
    lease_until     timestamptz NOT NULL,
    first_seen_at   timestamptz NOT NULL DEFAULT now(),
    completed_at    timestamptz
);

-- Memory records. memory_id is derived from the job (org, idempotency key, position), so writing the same job
-- again finds the same ids and inserts nothing.
CREATE TABLE memories (
    memory_id       uuid        PRIMARY KEY,
    org_id          uuid        NOT NULL,
    workspace_id    uuid,
    user_id         uuid,
    agent_id        uuid,
    thread_id       uuid,
    kind            text        NOT NULL DEFAULT 'memory' CHECK (kind IN ('memory', 'summary')),
    text            text        NOT NULL,
    position        integer     NOT NULL,
    job_id          text        NOT NULL,
    idempotency_key text        NOT NULL,
    ref_event_id    uuid,
    ref_memory_id   uuid,
    ref_artifact_uri text,
    trace_id        uuid,
    created_at      timestamptz NOT NULL,
    stored_at       timestamptz NOT NULL DEFAULT now()
);

-- every read is scoped by org first
CREATE INDEX memories_org_scope ON memories (org_id, workspace_id, user_id, agent_id, thread_id);
CREATE INDEX memories_org_job ON memories (org_id, idempotency_key);
