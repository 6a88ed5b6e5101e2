package dev.memorymodule.workers.testsupport;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.Message;
import io.nats.client.api.PublishAck;
import org.awaitility.Awaitility;

/**
 * Collects outcome events by the job message they answer, not by job id: a payload that is not a job has no id,
 * but every event's {@code Nats-Msg-Id} is {@code <event>:<stream>:<sequence>} of the job message. Listens on core
 * NATS, so start it before publishing.
 */
public final class OutcomeWatcher implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Connection connection;
    private final Dispatcher dispatcher;
    private final Map<String, List<JsonNode>> byMessage = new ConcurrentHashMap<>();

    public OutcomeWatcher(Connection connection, String eventsPrefix) {
        this.connection = connection;
        this.dispatcher = connection.createDispatcher(this::collect);
        dispatcher.subscribe(eventsPrefix + ".>");
    }

    /** {@code <stream>:<sequence>} of a published job message. */
    public static String identity(PublishAck ack) {
        return ack.getStream() + ":" + ack.getSeqno();
    }

    /** The job message an event answers, from the event's de-duplication id; null when it has none. */
    public static String identity(Message event) {
        String msgId = event.getHeaders() == null ? null : event.getHeaders().getFirst("Nats-Msg-Id");
        int colon = msgId == null ? -1 : msgId.indexOf(':');
        return colon < 0 ? null : msgId.substring(colon + 1);
    }

    /** Every event seen so far for a job message. */
    public List<JsonNode> events(String identity) {
        return new ArrayList<>(byMessage.getOrDefault(identity, List.of()));
    }

    /** The first event for a job message, waiting for it. */
    public JsonNode await(String identity, Duration timeout) {
        Awaitility.await().atMost(timeout).until(() -> !events(identity).isEmpty());
        return events(identity).get(0);
    }

    private void collect(Message message) {
        String identity = identity(message);
        if (identity == null) {
            return;
        }
        try {
            JsonNode event = MAPPER.readTree(message.getData());
            byMessage.computeIfAbsent(identity, key -> new CopyOnWriteArrayList<>()).add(event);
        } catch (IOException e) {
            // not an event: nothing to collect
        }
    }

    @Override
    public void close() {
        connection.closeDispatcher(dispatcher);
    }
}
