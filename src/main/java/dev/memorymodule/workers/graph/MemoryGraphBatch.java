package dev.memorymodule.workers.graph;

import dev.memorymodule.workers.job.ValidatedJob;
import dev.memorymodule.workers.store.MemoryIds;

import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;

/**
 * What one job writes to the graph: the tenant and scope every memory of the job shares, the event that produced
 * them, and the memories. Only the org is required; a scope id left {@code null} leaves its node and relations out.
 *
 * @param orgId       the tenant's org; every node written carries it
 * @param workspaceId the tenant's workspace, or {@code null}
 * @param userId      the user the memories are about, or {@code null}
 * @param agentId     the agent that remembered them, or {@code null}
 * @param threadId    the conversation they belong to, or {@code null}
 * @param eventId     the event that produced them ({@code refs.event_id} of the job), or {@code null}
 * @param memories    the memories, in the job's order
 */
public record MemoryGraphBatch(String orgId, String workspaceId, String userId, String agentId, String threadId,
                               String eventId, List<Memory> memories) {

    /**
     * A memory as the graph keeps it; its id is the same in every store.
     *
     * @param id        deterministic memory id ({@link MemoryIds})
     * @param text      the memory's text, stored verbatim
     * @param kind      {@code memory} or {@code summary}
     * @param jobId     the job that wrote it
     * @param createdAt when that job was created
     * @param position  its index among the job's texts, which orders memories written at the same instant
     */
    public record Memory(String id, String text, String kind, String jobId, Instant createdAt, int position) {

        public Memory {
            Objects.requireNonNull(id, "id");
            Objects.requireNonNull(text, "text");
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(jobId, "jobId");
            Objects.requireNonNull(createdAt, "createdAt");
        }
    }

    public MemoryGraphBatch {
        Objects.requireNonNull(orgId, "every graph write is scoped to an org");
        memories = List.copyOf(memories);
    }

    /** The graph batch of a job: one memory per input text, with the ids every other store uses for them. */
    public static MemoryGraphBatch fromJob(ValidatedJob job, String kind) {
        List<String> texts = job.texts();
        List<Memory> memories = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            String id = MemoryIds.of(job.orgId(), job.idempotencyKey(), i).toString();
            memories.add(new Memory(id, texts.get(i), kind, job.jobId(), job.createdAt(), i));
        }
        String eventId = job.node().path("refs").path("event_id").asText(null);
        // the canonical lowercase form, as for every other UUID of the job
        String canonicalEventId = eventId == null ? null : eventId.toLowerCase(Locale.ROOT);
        return new MemoryGraphBatch(job.orgId(), job.workspaceId(), job.userId(), job.agentId(), job.threadId(),
                canonicalEventId, memories);
    }
}
