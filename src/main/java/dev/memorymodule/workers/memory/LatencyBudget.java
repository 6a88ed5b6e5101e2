package dev.memorymodule.workers.memory;

import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.ValidatedJob;

/**
 * The time an online job may take, from when the server stored it to its answer. Once spent, the job fails
 * at once with that reason instead of answering late; retrying would only be later still.
 */
final class LatencyBudget {

    private static final LatencyBudget UNLIMITED = new LatencyBudget(Long.MAX_VALUE, 0, 0);

    private final long deadlineMillis;
    private final long startMillis;
    private final long budgetMillis;
    private final StringBuilder stages = new StringBuilder();
    private long lastMillis;

    private LatencyBudget(long deadlineMillis, long startMillis, long budgetMillis) {
        this.deadlineMillis = deadlineMillis;
        this.startMillis = startMillis;
        this.budgetMillis = budgetMillis;
        this.lastMillis = startMillis;
    }

    /** The budget of an online job with {@code max_latency_ms}; any other job has none. */
    static LatencyBudget of(ValidatedJob job, Long publishedAtMillis) {
        var maxLatency = job.node().path("requirements").path("max_latency_ms");
        if (!"online".equals(job.priority()) || !maxLatency.canConvertToLong()) {
            return UNLIMITED;
        }
        long start = publishedAtMillis != null ? publishedAtMillis : System.currentTimeMillis();
        long budget = maxLatency.asLong();
        return new LatencyBudget(start + budget, start, budget);
    }

    /** Records the time since the last check under {@code stage} and fails when the budget is spent. */
    void check(String stage) {
        long now = System.currentTimeMillis();
        stages.append(stages.length() == 0 ? "" : ", ").append(stage).append(' ').append(now - lastMillis)
                .append(" ms");
        lastMillis = now;
        if (now > deadlineMillis) {
            throw new PermanentJobException("max_latency_ms " + budgetMillis + " exceeded: " + (now - startMillis)
                    + " ms since the job was published (" + stages + ")");
        }
    }
}
