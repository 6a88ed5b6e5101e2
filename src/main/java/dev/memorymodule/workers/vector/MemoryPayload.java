package dev.memorymodule.workers.vector;

/**
 * The payload stored with a memory's vector. Ids are lowercase UUID strings; scope fields may be null.
 *
 * @param orgId       tenant org, always present; every search filters on it
 * @param workspaceId tenant workspace
 * @param userId      scope: user
 * @param agentId     scope: agent
 * @param threadId    scope: thread
 * @param memoryId    the memory's id in every store
 * @param text        the memory's text
 * @param kind        {@code memory} or {@code summary}
 * @param jobId       the job that wrote it
 * @param createdAt   ISO-8601 instant the job was created
 */
public record MemoryPayload(String orgId, String workspaceId, String userId, String agentId, String threadId,
                            String memoryId, String text, String kind, String jobId, String createdAt) {
}
