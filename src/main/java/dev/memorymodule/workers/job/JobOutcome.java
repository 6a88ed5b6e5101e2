package dev.memorymodule.workers.job;

/**
 * The terminal outcomes of a job; each job gets exactly one, as an event on the events stream.
 */
public final class JobOutcome {

    /** Exchange property holding the outcome decided for this delivery. */
    public static final String PROPERTY = "mm.outcome";

    /** Ran and succeeded; the event carries the result. */
    public static final String COMPLETED = "completed";
    /** Ran and failed for good (permanent error, or out of deliveries); the job is copied to the DLQ. */
    public static final String FAILED = "failed";
    /** Rejected without running (invalid payload, unsupported type); the job is copied to the DLQ. */
    public static final String DEAD_LETTERED = "dead_lettered";
    /** Its deadline passed before it could run; nothing was done. */
    public static final String EXPIRED = "expired";
    /** Its idempotency key already completed; nothing was done again. */
    public static final String DUPLICATE = "duplicate";

    private JobOutcome() {
    }
}
