package dev.memorymodule.workers.graph;

import java.time.Instant;

/**
 * A memory read back from a thread, for summarizing it.
 *
 * @param id        the memory's id
 * @param text      its text
 * @param kind      {@code memory} or {@code summary}
 * @param createdAt when the job that wrote it was created
 */
public record ThreadMemory(String id, String text, String kind, Instant createdAt) {
}
