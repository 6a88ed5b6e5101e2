package dev.memorymodule.workers.client;

import java.io.IOException;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;

/**
 * Publishes jobs the way the workers expect them and waits for their outcome events. For control-plane code and
 * the command line; it holds no rules of its own beyond {@link JobSubjects}.
 */
public final class JobClient implements AutoCloseable {

    /** NATS header a publisher sets to have the completed event sent to a core subject of its own. */
    public static final String REPLY_TO_HEADER = "Mm-Reply-To";

    private final Connection connection;
    private final JetStream jetStream;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Map<String, BlockingQueue<JsonNode>> waiting = new ConcurrentHashMap<>();
    private final Dispatcher dispatcher;

    /** @param eventsPrefix subject prefix of job events, e.g. {@code mm.events.job} */
    public JobClient(Connection connection, String eventsPrefix) throws IOException {
        this.connection = connection;
        this.jetStream = connection.jetStream();
        this.dispatcher = connection.createDispatcher(message -> {
            try {
                JsonNode event = mapper.readTree(message.getData());
                BlockingQueue<JsonNode> queue = waiting.get(event.path("job_id").asText(""));
                if (queue != null) {
                    queue.add(event);
                }
            } catch (IOException e) {
                // not an event of ours; nothing waits for it
            }
        });
        dispatcher.subscribe(eventsPrefix + ".>");
    }

    /** What publishing did: where the job went, and whether the server dropped it as a duplicate. */
    public record Published(String subject, String stream, long sequence, boolean duplicate) {
    }

    /** Publishes the payload as it is, on the subject its content gives. */
    public Published publish(byte[] payload) throws IOException, JetStreamApiException {
        JsonNode job = parseLeniently(payload);
        String subject = JobSubjects.subject(job);
        PublishOptions.Builder options = PublishOptions.builder();
        String msgId = JobSubjects.msgId(job);
        if (msgId != null) {
            options.messageId(msgId);
        }
        PublishAck ack = jetStream.publish(subject, new Headers(), payload, options.build());
        return new Published(subject, ack.getStream(), ack.getSeqno(), ack.isDuplicate());
    }

    /** Starts collecting the events of a job; call before publishing so none is missed. */
    public void watch(String jobId) {
        waiting.computeIfAbsent(jobId, id -> new LinkedBlockingQueue<>());
    }

    /** The next event of a watched job, or null when none arrives in time. */
    public JsonNode awaitEvent(String jobId, Duration timeout) throws InterruptedException {
        BlockingQueue<JsonNode> queue = waiting.computeIfAbsent(jobId, id -> new LinkedBlockingQueue<>());
        return queue.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The job's id as the workers will read it, or an empty string. */
    public String jobId(byte[] payload) {
        return parseLeniently(payload).path("job_id").asText("");
    }

    private JsonNode parseLeniently(byte[] payload) {
        try {
            JsonNode job = mapper.readTree(payload);
            return job == null ? mapper.createObjectNode() : job;
        } catch (IOException e) {
            return mapper.createObjectNode();
        }
    }

    @Override
    public void close() {
        connection.closeDispatcher(dispatcher);
    }
}
