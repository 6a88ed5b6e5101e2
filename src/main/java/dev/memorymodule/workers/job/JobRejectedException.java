package dev.memorymodule.workers.job;

import java.util.List;

/**
 * A payload that is not a valid job (not JSON, or against the job schema). Such a job is dead-lettered at once,
 * with its violations listed, and is never retried.
 */
public class JobRejectedException extends PermanentJobException {

    /**
     * Violations listed, in the reason and in the event; the count says how many there were. A payload within the
     * size limits can break a rule a hundred thousand times, and listing them all would make an event too large to
     * publish.
     */
    public static final int MAX_LISTED = 100;

    private final List<Violation> violations;
    private final String jobId;
    private final String traceId;

    public JobRejectedException(List<Violation> violations) {
        this(violations, null, null);
    }

    /**
     * @param jobId   the payload's job id where it is safe to log, else null
     * @param traceId the payload's trace id where it is safe to log, else null
     */
    public JobRejectedException(List<Violation> violations, String jobId, String traceId) {
        super(describe(violations));
        this.violations = List.copyOf(violations.subList(0, Math.min(violations.size(), MAX_LISTED)));
        this.jobId = jobId;
        this.traceId = traceId;
    }

    /** The rejected payload's job id, for its log lines; null when it had none fit to log. */
    public String jobId() {
        return jobId;
    }

    /** The rejected payload's trace id, for its log lines; null when it had none fit to log. */
    public String traceId() {
        return traceId;
    }

    /** The violations, the first {@link #MAX_LISTED} when there were more. */
    public List<Violation> violations() {
        return violations;
    }

    private static String describe(List<Violation> violations) {
        StringBuilder reason = new StringBuilder("invalid job: ").append(violations.size()).append(" violation(s): ");
        int listed = Math.min(violations.size(), MAX_LISTED);
        for (int i = 0; i < listed; i++) {
            if (i > 0) {
                reason.append("; ");
            }
            reason.append(violations.get(i));
        }
        if (listed < violations.size()) {
            reason.append("; and ").append(violations.size() - listed).append(" more not listed");
        }
        return reason.toString();
    }
}
