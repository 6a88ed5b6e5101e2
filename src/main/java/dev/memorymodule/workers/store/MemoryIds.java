package dev.memorymodule.workers.store;

import java.nio.charset.StandardCharsets;
import java.util.UUID;

/**
 * Deterministic memory ids. The id of the i-th text of a job depends only on the org, the idempotency key and i,
 * so a redelivered or replayed job writes to the same ids in every store (row, vector point, graph node) and
 * doubles nothing. The org is part of the name, so two orgs can never collide on one id.
 */
public final class MemoryIds {

    private MemoryIds() {
    }

    public static UUID of(String orgId, String idempotencyKey, int position) {
        String name = "mm-memory|" + orgId + "|" + idempotencyKey + "|" + position;
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }
}
