package dev.memorymodule.workers.vector;

import java.util.UUID;

/**
 * One memory as a vector with its payload.
 *
 * @param id      the point id: the memory id, a deterministic UUID
 * @param vector  unit-length embedding
 * @param payload what a search returns and filters on
 */
public record VectorPoint(UUID id, float[] vector, MemoryPayload payload) {
}
