package dev.memorymodule.workers.job;

import java.util.List;

/**
 * A payload that is not a valid job (not JSON, or against the job schema). Such a job is dead-lettered at once,
 * with every violation listed, and is never retried.
 */
public class JobRejectedException extends PermanentJobException {

    private final List<Violation> violations;

    public JobRejectedException(List<Violation> violations) {
        super(describe(violations));
        this.violations = List.copyOf(violations);
    }

    public List<Violation> violations() {
        return violations;
    }

    private static String describe(List<Violation> violations) {
        StringBuilder reason = new StringBuilder("invalid job: ").append(violations.size()).append(" violation(s): ");
        for (int i = 0; i < violations.size(); i++) {
            if (i > 0) {
                reason.append("; ");
            }
            reason.append(violations.get(i));
        }
        return reason.toString();
    }
}
