package dev.memorymodule.workers.vector;

/**
 * One search result.
 *
 * @param memoryId the memory's id
 * @param score    cosine similarity, higher is closer
 * @param payload  the stored payload, text and scope included
 */
public record VectorHit(String memoryId, double score, MemoryPayload payload) {
}
