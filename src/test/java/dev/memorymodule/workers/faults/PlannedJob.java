package dev.memorymodule.workers.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.UUID;

import dev.memorymodule.workers.store.MemoryIds;

/**
 * One job message of a fault run's load, as planned before it is published: what it is, where it goes, and what
 * its outcome and its traces in the stores must be.
 *
 * @param index          position in the load, which is also the publishing order
 * @param kind           valid, a duplicate of an earlier valid job, invalid, or past its deadline
 * @param type           the job type (for an invalid job, the type it pretends to be)
 * @param jobId          the job id, or null when the payload has none a worker could read
 * @param idempotencyKey the idempotency key, or null for an invalid job
 * @param orgId          the tenant, or null for an invalid job
 * @param texts          how many texts the job stores (a summary stores one)
 * @param subject        where it is published
 * @param msgId          its {@code Nats-Msg-Id}, unique per job message, so a publisher retry cannot store it twice
 * @param payload        the bytes published
 */
record PlannedJob(int index, Kind kind, String type, String jobId, String idempotencyKey, String orgId, int texts,
                  String subject, String msgId, byte[] payload) {

    enum Kind { VALID, DUPLICATE, INVALID, EXPIRED }

    /** The stores a job type writes to. */
    enum Store { ROWS, VECTORS, GRAPH }

    private static final Set<String> ROW_TYPES = Set.of("pg_write", "index", "summarize");
    private static final Set<String> VECTOR_TYPES = Set.of("qdrant_upsert", "index", "summarize");
    private static final Set<String> GRAPH_TYPES = Set.of("neo4j_write", "index", "summarize");

    /** True for the jobs that take an idempotency key: valid ones and their duplicates. */
    boolean runs() {
        return kind == Kind.VALID || kind == Kind.DUPLICATE;
    }

    boolean writes(Store store) {
        return switch (store) {
            case ROWS -> ROW_TYPES.contains(type);
            case VECTORS -> VECTOR_TYPES.contains(type);
            case GRAPH -> GRAPH_TYPES.contains(type);
        };
    }

    /** The memory ids this job writes, the same in every store it writes to. */
    List<String> memoryIds() {
        List<String> ids = new ArrayList<>(texts);
        for (int i = 0; i < texts; i++) {
            UUID id = MemoryIds.of(orgId, idempotencyKey, i);
            ids.add(id.toString());
        }
        return ids;
    }
}
