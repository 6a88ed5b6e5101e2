package dev.memorymodule.workers.embed;

/**
 * Which texts an {@link EmbeddingModel} serves first when callers compete for forward passes: those of online jobs,
 * before any waiting text of an offline job, and with a shorter wait for companions.
 */
public enum Priority {
    ONLINE,
    OFFLINE;

    /** The priority of a job's texts from its {@code priority} field; anything but {@code online} is offline. */
    public static Priority ofJob(String jobPriority) {
        return "online".equals(jobPriority) ? ONLINE : OFFLINE;
    }
}
