package dev.memorymodule.workers.job;

import java.util.Locale;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.memorymodule.workers.jetstream.JetStreamConstants;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * Addresses a dead letter: the job exactly as it arrived, on {@code <prefix>.<source>.<type>}, with the reason
 * and where it came from in headers, so it can be read, fixed and replayed. The outcome event with the full
 * reason and every violation is published beside it.
 */
public class DeadLetters {

    /** NATS headers on a dead letter. */
    public static final String HEADER_REASON = "Mm-Dlq-Reason";
    public static final String HEADER_OUTCOME = "Mm-Dlq-Outcome";
    public static final String HEADER_STREAM = "Mm-Dlq-Stream";
    public static final String HEADER_SUBJECT = "Mm-Dlq-Subject";
    public static final String HEADER_DELIVERIES = "Mm-Dlq-Deliveries";
    public static final String HEADER_JOB_ID = "Mm-Dlq-Job-Id";
    /** De-duplication id of a dead letter: this prefix and the job message it answers for. */
    public static final String MSG_ID_PREFIX = JetStreamConstants.DEAD_LETTER_ID_PREFIX;
    /** A reason in a header is cut at this length; the event carries it whole. */
    private static final int MAX_HEADER_REASON = 2_000;

    /** Exchange property: the dead-letter stream and subject a job was sent to, for its outcome event. */
    public static final String STREAM_PROPERTY = "mm.deadLetterStream";
    public static final String SUBJECT_PROPERTY = "mm.deadLetterSubject";

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final String stream;
    private final String subjectPrefix;

    /**
     * @param stream        name of the dead-letter stream, e.g. {@code MM_DLQ}
     * @param subjectPrefix its subject prefix, e.g. {@code mm.dlq}
     */
    public DeadLetters(String stream, String subjectPrefix) {
        this.stream = stream;
        this.subjectPrefix = subjectPrefix;
    }

    /**
     * Turns the exchange into the dead letter to publish. The outcome property says which kind it is:
     * {@link JobOutcome#DEAD_LETTERED} for a job rejected without running (the default) or
     * {@link JobOutcome#FAILED} for one that ran.
     */
    public void prepare(Exchange exchange) {
        String outcome = exchange.getProperty(JobOutcome.PROPERTY, JobOutcome.DEAD_LETTERED, String.class);
        Message in = exchange.getIn();
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        byte[] original = exchange.getProperty(JobHeaders.ORIGINAL, byte[].class);
        if (original == null) {
            original = in.getBody(byte[].class);
        }
        String source = exchange.getProperty(JobHeaders.SOURCE_SUBJECT,
                in.getHeader(JetStreamConstants.SUBJECT, "unknown", String.class), String.class);
        String type = in.getHeader(JobHeaders.JOB_TYPE, String.class);
        if (type == null) {
            type = typeOf(original);
        }

        String subject = subject(source, type);
        exchange.setProperty(JobOutcome.PROPERTY, outcome);
        exchange.setProperty(STREAM_PROPERTY, stream);
        exchange.setProperty(SUBJECT_PROPERTY, subject);
        in.setBody(original == null ? new byte[0] : original);
        in.setHeader(JetStreamConstants.SUBJECT, subject);
        in.setHeader(HEADER_REASON, truncate(JobEvents.reason(exchange, cause)));
        in.setHeader(HEADER_OUTCOME, outcome);
        in.setHeader(HEADER_STREAM, in.getHeader(JetStreamConstants.STREAM, "unknown", String.class));
        in.setHeader(HEADER_SUBJECT, source);
        in.setHeader(HEADER_DELIVERIES, in.getHeader(JetStreamConstants.DELIVERY_COUNT, 1L, Long.class));
        String jobId = in.getHeader(JobHeaders.JOB_ID, String.class);
        if (jobId != null) {
            in.setHeader(HEADER_JOB_ID, jobId);
        }
        // tied to the job message, as its event is: a worker that dies after storing the dead letter but before
        // its term reached the server gets the message redelivered, and the stream keeps the first copy only
        in.setHeader(JetStreamConstants.MSG_ID, MSG_ID_PREFIX + JobEvents.messageIdentity(exchange));
    }

    /** {@code mm.dlq.<priority token of the source subject>.<type>}; unknown parts become "unknown". */
    String subject(String sourceSubject, String type) {
        String[] tokens = sourceSubject.split("\\.");
        String lane = tokens.length > 1 ? tokens[1].toLowerCase(Locale.ROOT) : "unknown";
        if (!lane.matches("[a-z0-9_-]{1,32}")) {
            lane = "unknown";
        }
        String safeType = type != null && ValidatedJob.TYPES.contains(type) ? type : "unknown";
        return subjectPrefix + "." + lane + "." + safeType;
    }

    /** The type an invalid job claims, best effort, so its dead letter files under that type for replay. */
    private static String typeOf(byte[] payload) {
        if (payload == null) {
            return null;
        }
        try {
            return MAPPER.readTree(payload).path("type").asText(null);
        } catch (Exception e) {
            return null;
        }
    }

    private static String truncate(String reason) {
        return reason.length() <= MAX_HEADER_REASON ? reason : reason.substring(0, MAX_HEADER_REASON) + "...";
    }
}
