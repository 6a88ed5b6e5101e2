package dev.memorymodule.workers.job;

/**
 * Camel headers and exchange properties the job lifecycle sets once a job is validated, so routes can use them
 * in expressions ({@code ${header.MmJobType}}) without parsing the payload again.
 */
public final class JobHeaders {

    public static final String JOB_ID = "MmJobId";
    public static final String JOB_TYPE = "MmJobType";
    public static final String IDEMPOTENCY_KEY = "MmIdempotencyKey";
    public static final String ORG_ID = "MmOrgId";
    public static final String TRACE_ID = "MmTraceId";
    public static final String PRIORITY = "MmPriority";
    /** NATS header a publisher sets to get the outcome event on a core NATS subject of its own. */
    public static final String REPLY_TO = "Mm-Reply-To";

    /** Exchange property holding the {@link ValidatedJob}. */
    public static final String JOB = "mm.job";
    /** Exchange property holding the job's result (a JSON-able object) once it ran. */
    public static final String RESULT = "mm.result";
    /** Exchange property holding the payload exactly as it arrived, for dead letters and events. */
    public static final String ORIGINAL = "mm.original";
    /** Exchange property: the subject the job arrived on (kept, since publishing replaces the subject header). */
    public static final String SOURCE_SUBJECT = "mm.sourceSubject";
    /** Exchange property: when the lifecycle started on this delivery, epoch ms. */
    public static final String STARTED_AT = "mm.startedAt";

    private JobHeaders() {
    }
}
