package dev.memorymodule.workers.job;

import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;

import dev.memorymodule.workers.client.JobSubjects;
import dev.memorymodule.workers.fleet.CapabilityCheck;

import dev.memorymodule.workers.jetstream.JetStreamConstants;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * First step of every job: keep the payload as it arrived, validate it, and expose what later steps route on as
 * headers. A payload that is not a valid job throws {@link JobRejectedException}, which the route's error
 * handling turns into a dead letter without retry.
 */
public class JobIntake {

    private static final Logger LOG = LoggerFactory.getLogger(JobIntake.class);
    /** MDC key for the job's trace id, so every log line of a job can be found by it. */
    public static final String MDC_TRACE_ID = "trace_id";
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
     * @param jobTypes     the job types this worker runs; a valid job of another type is handed over for a worker
     *                     that runs it
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

        ValidatedJob job;
        try {
            job = validator.validate(payload);
        } catch (JobRejectedException e) {
            // the dead-letter lines of an invalid job are found by its ids too, where it has usable ones
            if (e.traceId() != null) {
                MDC.put(MDC_TRACE_ID, e.traceId());
            }
            if (e.jobId() != null) {
                MDC.put(MDC_JOB_ID, e.jobId());
                in.setHeader(JobHeaders.JOB_ID, e.jobId());
            }
            throw e;
        }
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
        checkSubject(job, in.getHeader(JetStreamConstants.SUBJECT, String.class));
    }

    /**
     * True when this worker lacks something the job requires (its job type, GPU, VRAM, trust zone, model): the job
     * is handed over, as a fresh message with its delivery budget whole, for a worker that has it. A job with a
     * deadline is handed over until it expires at it, and its event says why it never ran; one without fails for
     * good with the reason once {@code maxHandovers} handovers found no capable worker.
     */
    public boolean lacksCapability(Exchange exchange) {
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        List<String> missing = new ArrayList<>();
        if (!jobTypes.contains(job.type())) {
            // a pool-mate configured with more types may run it; one that shares the consumer sees it next
            missing.add("job type " + job.type() + " (runs " + String.join(", ", new TreeSet<>(jobTypes)) + ")");
        }
        if (capabilities != null) {
            missing.addAll(capabilities.missing(job));
        }
        if (missing.isEmpty()) {
            return false;
        }
        String lacks = "this worker lacks " + String.join(", ", missing);
        long handovers = exchange.getIn().getHeader(JetStreamConstants.HANDOVERS, 0L, Long.class);
        // a deadline bounds the search already, and the job then ends as expired at it, saying why
        if (handovers >= maxHandovers && job.deadline().isEmpty()) {
            throw new PermanentJobException("no worker that could run the job took it in " + handovers
                    + " handovers; last one: " + lacks);
        }
        exchange.setProperty(JetStreamConstants.HANDOVER_REASON, lacks);
        return true;
    }

    /**
     * Why a job that expired never ran, when it was handed over for want of a capable worker: the reason the last
     * worker gave, carried with the handed-over copy. Null for a job that was never handed over.
     */
    public static String handoverHistory(Exchange exchange) {
        Message in = exchange.getIn();
        long handovers = in.getHeader(JetStreamConstants.HANDOVERS, 0L, Long.class);
        String reason = in.getHeader(JetStreamConstants.HANDOVER_REASON_HEADER, String.class);
        if (handovers <= 0) {
            return null;
        }
        return "it was handed over " + handovers + " time(s) and no worker that could run it took it"
                + (reason == null || reason.isBlank() ? "" : "; the last one said: " + reason);
    }

    /**
     * Warns of a job published on a subject other than the one its payload gives (lane from type and priority,
     * trust zone, gpu or cpu). The subject only steers the server's routing; this worker trusts the payload, and
     * checks every requirement the job states on receipt, so a job on the wrong subject is still run only where it
     * may be. But it reached consumers chosen by that subject, which says a publisher derives subjects its own way.
     * Only the routing tokens are compared, not the subject's prefix.
     */
    void checkSubject(ValidatedJob job, String subject) {
        if (subject == null) {
            return;
        }
        String expected = JobSubjects.subject(job.node());
        if (!routingTokens(subject).equals(routingTokens(expected))) {
            LOG.warn("Job {} was published on {}, but its type, priority and requirements give {}; it runs as its "
                    + "payload says, where its requirements are met", job.jobId(), subject, expected);
        }
    }

    /** The last four tokens of a job subject: lane, type, trust zone, device. */
    private static String routingTokens(String subject) {
        String[] tokens = subject.split("\\.", -1);
        if (tokens.length < 5) {
            return subject;
        }
        return String.join(".", Arrays.copyOfRange(tokens, tokens.length - 4, tokens.length));
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
