package dev.memorymodule.workers.job;

import java.time.Instant;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.f4b6a3.ulid.UlidCreator;
import dev.memorymodule.workers.jetstream.JetStreamConstants;
import dev.memorymodule.workers.jetstream.MessageTooLargeException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Builds the outcome events of jobs (schema {@code schemas/job-event-v1.json}) and addresses them: the body
 * becomes the event JSON, the subject {@code <prefix>.<outcome>.<job id>}, and the de-duplication id ties the
 * event to the outcome and the stream message, so a redelivery that publishes the same outcome again is dropped
 * by the server and each job keeps one terminal event.
 */
public class JobEvents {

    /** ULIDs are safe subject tokens; anything else is replaced so a hostile job id cannot alter the subject. */
    private static final Pattern SUBJECT_SAFE_ID = Pattern.compile("[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}");
    private static final String UNKNOWN = "unknown";

    private final ObjectMapper mapper;
    private final String subjectPrefix;
    private final String workerId;

    /**
     * @param mapper        JSON mapper
     * @param subjectPrefix subject prefix of job events, e.g. {@code mm.events.job}
     * @param workerId      this worker's id, recorded in every event
     */
    public JobEvents(ObjectMapper mapper, String subjectPrefix, String workerId) {
        this.mapper = mapper;
        this.subjectPrefix = subjectPrefix;
        this.workerId = workerId;
    }

    public void completed(Exchange exchange) {
        ObjectNode event = event(exchange, JobOutcome.COMPLETED);
        event.set("result", mapper.valueToTree(exchange.getProperty(JobHeaders.RESULT)));
        publishable(exchange, event, JobOutcome.COMPLETED);
    }

    public void expired(Exchange exchange) {
        ObjectNode event = event(exchange, JobOutcome.EXPIRED);
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        String history = JobIntake.handoverHistory(exchange);
        event.put("reason", "deadline " + job.deadline().map(Instant::toString).orElse("?")
                + " passed before the job could run; nothing was done" + (history == null ? "" : "; " + history));
        publishable(exchange, event, JobOutcome.EXPIRED);
    }

    public void duplicate(Exchange exchange) {
        ObjectNode event = event(exchange, JobOutcome.DUPLICATE);
        String original = exchange.getProperty(JobLedger.DUPLICATE_OF, String.class);
        event.put("duplicate_of", original);
        event.put("reason", "idempotency key already completed by job " + original + "; nothing was done again");
        publishable(exchange, event, JobOutcome.DUPLICATE);
    }

    /**
     * The outcome of a job that went to the dead-letter stream: {@code dead_lettered} when it was rejected
     * without running, {@code failed} when it ran and failed for good. The reason is the exception's message.
     */
    public void deadLettered(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        String outcome = exchange.getProperty(JobOutcome.PROPERTY, JobOutcome.DEAD_LETTERED, String.class);
        ObjectNode event = event(exchange, outcome);
        event.put("reason", reason(exchange, cause));
        if (cause instanceof JobRejectedException rejected) {
            event.set("errors", mapper.valueToTree(rejected.violations()));
        }
        ObjectNode deadLetter = event.putObject("dead_letter");
        deadLetter.put("stream", exchange.getProperty(DeadLetters.STREAM_PROPERTY, String.class));
        deadLetter.put("subject", exchange.getProperty(DeadLetters.SUBJECT_PROPERTY, String.class));
        publishable(exchange, event, outcome);
    }

    /** The reason given for a dead letter: the exception's message, or why deliveries ran out. */
    public static String reason(Exchange exchange, Throwable cause) {
        String message = cause == null ? "unknown failure" : cause.getMessage();
        if (message == null || message.isBlank()) {
            message = cause.getClass().getSimpleName();
        }
        // a message too large to publish stays too large: it is as final as a permanent failure
        if (cause instanceof PermanentJobException || cause instanceof MessageTooLargeException) {
            return message;
        }
        long deliveries = exchange.getIn().getHeader(JetStreamConstants.DELIVERY_COUNT, 1L, Long.class);
        return "gave up after " + deliveries + " deliveries; last error: " + message;
    }

    private ObjectNode event(Exchange exchange, String outcome) {
        Message in = exchange.getIn();
        JsonNode job = jobTree(exchange);
        ObjectNode event = mapper.createObjectNode();
        event.put("event_id", UlidCreator.getMonotonicUlid().toString());
        event.put("event", outcome);
        event.put("job_id", text(job, "job_id"));
        event.put("idempotency_key", text(job, "idempotency_key"));
        event.put("type", text(job, "type"));
        event.put("priority", text(job, "priority"));
        copyObject(job, "tenant", event);
        copyObject(job, "scope", event);
        JsonNode trace = job.path("trace").path("trace_id");
        event.put("trace_id", trace.isTextual() ? trace.asText() : null);
        event.put("attempts", in.getHeader(JetStreamConstants.DELIVERY_COUNT, 1L, Long.class));
        event.put("worker_id", workerId);
        event.put("stream", in.getHeader(JetStreamConstants.STREAM, String.class));
        event.put("subject", exchange.getProperty(JobHeaders.SOURCE_SUBJECT, String.class));

        long now = System.currentTimeMillis();
        Long publishedAt = in.getHeader(JetStreamConstants.PUBLISHED_AT, Long.class);
        Long receivedAt = in.getHeader(JetStreamConstants.RECEIVED_AT, Long.class);
        ObjectNode timings = event.putObject("timings");
        if (publishedAt != null) {
            timings.put("published_at", Instant.ofEpochMilli(publishedAt).toString());
        }
        if (receivedAt != null) {
            timings.put("received_at", Instant.ofEpochMilli(receivedAt).toString());
            timings.put("run_ms", now - receivedAt);
            if (publishedAt != null) {
                timings.put("queue_ms", Math.max(0, receivedAt - publishedAt));
            }
        }
        timings.put("finished_at", Instant.ofEpochMilli(now).toString());
        return event;
    }

    private void publishable(Exchange exchange, ObjectNode event, String outcome) {
        Message in = exchange.getIn();
        String jobId = event.path("job_id").asText(null);
        String subjectId = jobId != null && SUBJECT_SAFE_ID.matcher(jobId).matches() ? jobId : "invalid";
        in.setHeader(JetStreamConstants.SUBJECT, subjectPrefix + "." + outcome + "." + subjectId);
        in.setHeader(JetStreamConstants.MSG_ID, outcome + ":" + messageIdentity(exchange));
        in.setHeader("Mm-Event", outcome);
        in.setHeader("Mm-Job-Id", jobId == null ? UNKNOWN : jobId);
        exchange.setProperty(JobOutcome.PROPERTY, outcome);
        try {
            in.setBody(mapper.writeValueAsBytes(event));
        } catch (Exception e) {
            throw new IllegalStateException("cannot serialise a job event", e);
        }
    }

    /**
     * The stream message this delivery answers for (the first published one, for a handed-over copy), so the same
     * message never yields the same outcome twice.
     */
    static String messageIdentity(Exchange exchange) {
        Message in = exchange.getIn();
        String origin = in.getHeader(JetStreamConstants.ORIGIN, String.class);
        if (origin != null && !origin.isBlank()) {
            return origin;
        }
        String stream = in.getHeader(JetStreamConstants.STREAM, String.class);
        Long sequence = in.getHeader(JetStreamConstants.SEQUENCE, Long.class);
        if (stream != null && sequence != null) {
            return stream + ":" + sequence;
        }
        // not from a stream (a direct call): fall back to the exchange, which is unique
        return exchange.getExchangeId();
    }

    /** The job as parsed when it was valid; otherwise whatever the original payload yields, best effort. */
    private JsonNode jobTree(Exchange exchange) {
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        if (job != null) {
            return job.node();
        }
        byte[] original = exchange.getProperty(JobHeaders.ORIGINAL, byte[].class);
        if (original != null) {
            try {
                JsonNode tree = mapper.readTree(original);
                if (tree != null && tree.isObject()) {
                    return tree;
                }
            } catch (Exception e) {
                // not JSON: the event says so through the reason; its job fields stay empty
            }
        }
        return mapper.createObjectNode();
    }

    private static String text(JsonNode job, String field) {
        JsonNode value = job.path(field);
        return value.isTextual() ? value.asText() : null;
    }

    private static void copyObject(JsonNode job, String field, ObjectNode event) {
        JsonNode value = job.path(field);
        if (value.isObject()) {
            event.set(field, value.deepCopy());
        } else {
            event.putNull(field);
        }
    }
}
