package dev.memorymodule.workers.http;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeoutException;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobSubjects;
import dev.memorymodule.workers.jetstream.JetStreamConstants;
import dev.memorymodule.workers.job.JobRejectedException;
import dev.memorymodule.workers.job.JobValidator;
import dev.memorymodule.workers.job.ValidatedJob;
import dev.memorymodule.workers.streams.StreamCatalog;
import dev.memorymodule.workers.streams.StreamSpec;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import org.apache.camel.Exchange;
import org.apache.camel.Message;

/**
 * What the HTTP job routes ({@code routes/http.camel.yaml}) call. A posted job is validated with the same schema
 * the workers apply and addressed as {@link dev.memorymodule.workers.client.JobClient} does (subject from
 * {@link JobSubjects}, {@code Nats-Msg-Id} from the idempotency key); the route publishes it with the jetstream
 * producer. A status request answers the job's latest outcome event.
 */
public class JobGateway {

    /** Header naming the stream the route publishes the job to. */
    public static final String TARGET_STREAM = "MmTargetStream";
    /** Path parameter of the status route. */
    public static final String ID_HEADER = "id";

    /** Job ids are ULIDs (either case): safe as a subject token, so a hostile id cannot widen a lookup. */
    private static final Pattern JOB_ID = Pattern.compile("[0-9A-HJKMNP-TV-Za-hjkmnp-tv-z]{26}");
    private static final String JOB_ID_PROPERTY = "mm.http.jobId";
    private static final String JSON = "application/json";
    private static final String RETRY_AFTER = "Retry-After";
    private static final int RECENT_JOBS = 10_000;
    /**
     * Seconds a client is asked to wait before trying again after a 503: the client reconnects every half second,
     * so a short wait suffices after a restart, and a longer outage just gets a 503 again.
     */
    static final String RETRY_AFTER_SECONDS = "5";

    private final JobValidator validator;
    private final StreamCatalog streams;
    private final Supplier<Connection> connection;
    private final JobStatusLookup statuses;
    private final RecentJobs recent = new RecentJobs(RECENT_JOBS);
    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * @param validator    the job schema
     * @param streams      the streams, to publish each lane's jobs to its own
     * @param connection   the jetstream component's connection, read when a status is asked for
     * @param eventsStream name of the events stream
     * @param eventsPrefix subject prefix of job events, e.g. {@code mm.events.job}
     */
    public JobGateway(JobValidator validator, StreamCatalog streams, Supplier<Connection> connection,
            String eventsStream, String eventsPrefix) {
        this.validator = validator;
        this.streams = streams;
        this.connection = connection;
        this.statuses = new JobStatusLookup(connection, eventsStream, eventsPrefix);
    }

    /**
     * Validates the posted job (throws {@link JobRejectedException}), checks that its stream and the NATS server can
     * store it (throws {@link JobTooLargeException}), that NATS is connected (throws {@link NatsUnreachableException})
     * and sets where the route publishes it.
     */
    public void prepare(Exchange exchange) {
        Message in = exchange.getIn();
        byte[] payload = in.getBody(byte[].class);
        ValidatedJob job = validator.validate(payload == null ? new byte[0] : payload);
        String subject = JobSubjects.subject(job.node());
        StreamSpec stream = streams.get(subject.split("\\.")[1]);
        if (payload.length > stream.maxMsgSize()) {
            throw new JobTooLargeException("the job is " + payload.length + " bytes; stream " + stream.name()
                    + " stores at most " + stream.maxMsgSize());
        }
        Connection nats = connection.get();
        long maxPayload = nats.getMaxPayload();
        if (maxPayload > 0 && payload.length > maxPayload) {
            throw new JobTooLargeException("the job is " + payload.length + " bytes; the NATS server takes messages"
                    + " of at most " + maxPayload + " bytes (max_payload)");
        }
        // While the client reconnects, jnats keeps what is published in a buffer and sends it once it is back: a
        // job published now would be stored after the client was told it was not. Refused here, it never leaves.
        // A drop between this check and the publish still buffers it; that publish then goes unacknowledged and is
        // answered as perhaps stored, which stays true.
        if (nats.getStatus() != Connection.Status.CONNECTED) {
            throw new NatsUnreachableException("NATS is unreachable; the job was not published");
        }

        // nothing the client sent may travel as a NATS header of the job (the producer sends Mm-* headers)
        in.removeHeaders("*");
        in.setBody(payload);
        in.setHeader(JetStreamConstants.SUBJECT, subject);
        in.setHeader(TARGET_STREAM, stream.name());
        String msgId = JobSubjects.msgId(job.node());
        if (msgId != null) {
            in.setHeader(JetStreamConstants.MSG_ID, msgId);
        }
        exchange.setProperty(JOB_ID_PROPERTY, job.jobId());
    }

    /** 202 once the server stored the job, or dropped it as a re-publish inside its duplicate window. */
    public void accepted(Exchange exchange) {
        Message in = exchange.getIn();
        String jobId = exchange.getProperty(JOB_ID_PROPERTY, String.class);
        ObjectNode body = mapper.createObjectNode();
        body.put("job_id", jobId);
        body.put("subject", in.getHeader(JetStreamConstants.SUBJECT, String.class));
        body.put("duplicate", in.getHeader(JetStreamConstants.DUPLICATE, false, Boolean.class));
        recent.add(jobId);
        respond(exchange, 202, body);
    }

    /** 400 with every violation, as the dead letter of the same job would list them. */
    public void rejected(Exchange exchange) {
        JobRejectedException rejected = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, JobRejectedException.class);
        ObjectNode body = mapper.createObjectNode();
        body.put("error", "invalid job");
        body.set("violations", mapper.valueToTree(rejected.violations()));
        respond(exchange, 400, body);
    }

    /** 413: the job can never be stored as it is. */
    public void tooLarge(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        ObjectNode body = mapper.createObjectNode();
        body.put("error", "job too large");
        body.put("reason", cause.getMessage());
        respond(exchange, 413, body);
    }

    /**
     * 503 when NATS could not take or answer the request (the client may retry), 500 for anything else. A job
     * refused before publishing was not stored; one published without an acknowledgement may have been, and the
     * answer says so, with the job id to look it up by.
     */
    public void failed(Exchange exchange) {
        Throwable cause = exchange.getProperty(Exchange.EXCEPTION_CAUGHT, Throwable.class);
        // set by prepare just before the route publishes: without it, nothing was published
        String jobId = exchange.getProperty(JOB_ID_PROPERTY, String.class);
        ObjectNode body = mapper.createObjectNode();
        if (cause instanceof NatsUnreachableException) {
            body.put("error", "job store unavailable");
            body.put("reason", cause.getMessage());
            respond(exchange, 503, body);
            exchange.getMessage().setHeader(RETRY_AFTER, RETRY_AFTER_SECONDS);
            return;
        }
        if (jobId != null && isUnanswered(cause)) {
            // the server and the workers both key on the idempotency key (Nats-Msg-Id, the job ledger), so a second
            // copy of a stored job is dropped or reported as a duplicate, never run twice
            body.put("error", "job store did not answer");
            body.put("reason", "the job was published but NATS did not acknowledge it (" + cause.getMessage()
                    + "): it may or may not have been stored. Submitting the same job again is safe: the server and"
                    + " the workers de-duplicate it by its idempotency key");
            body.put("job_id", jobId);
            respond(exchange, 503, body);
            exchange.getMessage().setHeader(RETRY_AFTER, RETRY_AFTER_SECONDS);
            return;
        }
        boolean unavailable = isUnavailable(cause);
        body.put("error", unavailable ? "job store unavailable" : "internal error");
        body.put("reason", cause == null ? "unknown" : String.valueOf(cause.getMessage()));
        respond(exchange, unavailable ? 503 : 500, body);
    }

    /**
     * The latest outcome event of the job as stored (200); {@code {"status":"pending"}} (200) for a job this
     * worker accepted that has none yet; {@code {"status":"unknown"}} (404) otherwise.
     */
    public void status(Exchange exchange) throws IOException, JetStreamApiException {
        String jobId = exchange.getIn().getHeader(ID_HEADER, String.class);
        if (jobId == null || !JOB_ID.matcher(jobId).matches()) {
            ObjectNode body = mapper.createObjectNode();
            body.put("error", "not a job id (a ULID)");
            respond(exchange, 400, body);
            return;
        }
        Optional<byte[]> event = statuses.latestEvent(jobId);
        if (event.isPresent()) {
            respond(exchange, 200, event.get());
            return;
        }
        boolean pending = recent.contains(jobId);
        ObjectNode body = mapper.createObjectNode();
        body.put("job_id", jobId);
        body.put("status", pending ? "pending" : "unknown");
        respond(exchange, pending ? 200 : 404, body);
    }

    /**
     * jnats reports a publish whose acknowledgement did not come in time as an IOException; the request was on its
     * way (or in the client's buffer), so the server may have stored the job.
     */
    private static boolean isUnanswered(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof TimeoutException) {
                return true;
            }
        }
        return false;
    }

    private static boolean isUnavailable(Throwable cause) {
        for (Throwable t = cause; t != null; t = t.getCause()) {
            if (t instanceof IOException || t instanceof JetStreamApiException || t instanceof TimeoutException
                    || t instanceof IllegalStateException) {
                return true;
            }
        }
        return false;
    }

    private void respond(Exchange exchange, int status, ObjectNode body) {
        try {
            respond(exchange, status, mapper.writeValueAsBytes(body));
        } catch (IOException e) {
            throw new IllegalStateException("cannot write a JSON response", e);
        }
    }

    // the response carries only what is set here: no request or JetStream header leaks back to the client
    private static void respond(Exchange exchange, int status, byte[] body) {
        Message out = exchange.getMessage();
        out.removeHeaders("*");
        out.setHeader(Exchange.HTTP_RESPONSE_CODE, status);
        out.setHeader(Exchange.CONTENT_TYPE, JSON);
        out.setBody(body);
    }
}
