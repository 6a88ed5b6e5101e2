package dev.memorymodule.workers.job;

import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Set;

import dev.memorymodule.workers.fleet.CapabilityCheck;

import dev.memorymodule.workers.jetstream.JetStreamConstants;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.MDC;

/**
 * First step of every job: keep the payload as it arrived, validate it, and expose what later steps route on as
 * headers. A payload that is not a valid job throws {@link JobRejectedException}, which the route's error
 * handling turns into a dead letter without retry.
 */
public class JobIntake {

    /** MDC key for the job's trace id, so every log line of a job can be found by it. */
    public static final String MDC_TRACE_ID = "trace_id";
    /** Exchange property: why this worker gave a job back. */
    public static final String RELEASE_REASON = "mm.releaseReason";
    /** MDC key for the job id. */
    public static final String MDC_JOB_ID = "job_id";

    private final JobValidator validator;
    private final Clock clock;
    private final Set<String> jobTypes;
    private final CapabilityCheck capabilities;
    private final int maxHandovers;

    /**
     * @param validator    the job schema
     * @param clock        time source for deadlines
     * @param jobTypes     the job types this worker runs; a valid job of another type is rejected with that reason
     * @param capabilities what this worker can offer a job's requirements, or null to take every job
     * @param maxHandovers how many times a job may be handed over for want of a capability before it fails
     */
    public JobIntake(JobValidator validator, Clock clock, Set<String> jobTypes, CapabilityCheck capabilities,
                     int maxHandovers) {
        this.validator = validator;
        this.clock = clock;
        this.jobTypes = Set.copyOf(jobTypes);
        this.capabilities = capabilities;
        this.maxHandovers = maxHandovers;
    }

    public void accept(Exchange exchange) {
        leave();
        Message in = exchange.getIn();
        byte[] payload = in.getBody(byte[].class);
        if (payload == null) {
            payload = new byte[0];
        }
        exchange.setProperty(JobHeaders.ORIGINAL, payload);
        exchange.setProperty(JobHeaders.SOURCE_SUBJECT, in.getHeader(JetStreamConstants.SUBJECT, String.class));
        exchange.setProperty(JobHeaders.STARTED_AT, clock.millis());

        ValidatedJob job = validator.validate(payload);
        exchange.setProperty(JobHeaders.JOB, job);
        in.setHeader(JobHeaders.JOB_ID, job.jobId());
        in.setHeader(JobHeaders.JOB_TYPE, job.type());
        in.setHeader(JobHeaders.IDEMPOTENCY_KEY, job.idempotencyKey());
        in.setHeader(JobHeaders.ORG_ID, job.orgId());
        in.setHeader(JobHeaders.PRIORITY, job.priority());
        if (job.traceId() != null) {
            in.setHeader(JobHeaders.TRACE_ID, job.traceId());
            MDC.put(MDC_TRACE_ID, job.traceId());
        }
        MDC.put(MDC_JOB_ID, job.jobId());
    }

    /**
     * True when this worker lacks something the job requires (GPU, VRAM, trust zone, model): the job is handed over,
     * as a fresh message with its delivery budget whole, for a worker that has it. After {@code maxHandovers}
     * handovers no capable worker has taken it, and it fails for good with the reason; a job with a deadline ends as
     * expired at its deadline before that.
     */
    public boolean lacksCapability(Exchange exchange) {
        if (capabilities == null) {
            return false;
        }
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        List<String> missing = capabilities.missing(job);
        if (missing.isEmpty()) {
            return false;
        }
        String lacks = "this worker lacks " + String.join(", ", missing);
        long handovers = exchange.getIn().getHeader(JetStreamConstants.HANDOVERS, 0L, Long.class);
        if (handovers >= maxHandovers) {
            throw new PermanentJobException("no worker that could run the job took it in " + handovers
                    + " handovers; last one: " + lacks);
        }
        exchange.setProperty(RELEASE_REASON, lacks);
        return true;
    }

    /** Rejects a valid job of a type this worker is not configured to run. */
    public void checkSupported(Exchange exchange) {
        String type = exchange.getIn().getHeader(JobHeaders.JOB_TYPE, String.class);
        if (!jobTypes.contains(type)) {
            throw new UnsupportedJobTypeException(type);
        }
    }

    /**
     * Refuses to run a job whose deliveries are spent: its last delivery was made but never settled, because the
     * worker running it crashed, was killed or lost its connection first. It may be the job itself that brought
     * that worker down, so it is not run again here; it fails for good, with its dead letter to replay from.
     * Called once the ledger has claimed the key, so a job that did complete before is acked as such instead.
     */
    public void refuseSpentDelivery(Exchange exchange) {
        Message in = exchange.getIn();
        if (Boolean.TRUE.equals(in.getHeader(JetStreamConstants.DELIVERIES_SPENT, Boolean.class))) {
            long delivery = in.getHeader(JetStreamConstants.DELIVERY_COUNT, 0L, Long.class);
            throw new PermanentJobException("delivery " + delivery + " is past the job's delivery budget: its last "
                    + "delivery never finished (the worker running it stopped, crashed or lost its connection), "
                    + "so it is not run again; find out why from that worker's log, then replay it from the DLQ");
        }
    }

    /** True when the job has a deadline and it has passed: the job must not run. */
    public boolean isExpired(Exchange exchange) {
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        Instant now = clock.instant();
        return job != null && job.deadline().map(now::isAfter).orElse(false);
    }

    /**
     * True when the ledger found the key completed by this very job and this delivery is a redelivery: the
     * outcome was already published before the ack was lost, so the message only needs acking, not a second
     * terminal event.
     */
    public boolean isRedeliveryOfCompleted(Exchange exchange) {
        String original = exchange.getProperty(JobLedger.DUPLICATE_OF, String.class);
        long delivery = exchange.getIn().getHeader(JetStreamConstants.DELIVERY_COUNT, 1L, Long.class);
        return delivery > 1 && original != null && original.equals(exchange.getIn().getHeader(JobHeaders.JOB_ID));
    }

    /** Clears the job's log context once its exchange is done with this thread. */
    public void leave() {
        MDC.remove(MDC_TRACE_ID);
        MDC.remove(MDC_JOB_ID);
    }
}
