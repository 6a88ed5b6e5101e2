package dev.memorymodule.workers.faults;

import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.memorymodule.workers.testsupport.OutcomeWatcher;
import dev.memorymodule.workers.testsupport.StreamReader;
import io.nats.client.Connection;
import io.nats.client.Message;

/** The outcome events a run stored in MM_EVENTS, by the job message each answers ({@code <stream>:<sequence>}). */
final class Outcomes {

    static final Set<String> TERMINAL = Set.of("completed", "failed", "dead_lettered", "expired", "duplicate");

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private final Map<String, List<JsonNode>> byMessage;
    private final List<JsonNode> all;

    private Outcomes(Map<String, List<JsonNode>> byMessage, List<JsonNode> all) {
        this.byMessage = byMessage;
        this.all = all;
    }

    static Outcomes read(Connection connection, String eventsStream, String eventsPrefix) throws Exception {
        Map<String, List<JsonNode>> byMessage = new HashMap<>();
        List<JsonNode> all = new ArrayList<>();
        for (Message message : StreamReader.readAll(connection, eventsStream, eventsPrefix + ".>")) {
            JsonNode event = MAPPER.readTree(message.getData());
            if (!TERMINAL.contains(event.path("event").asText())) {
                continue;
            }
            all.add(event);
            String identity = OutcomeWatcher.identity(message);
            if (identity != null) {
                byMessage.computeIfAbsent(identity, key -> new ArrayList<>()).add(event);
            }
        }
        return new Outcomes(byMessage, all);
    }

    /** Terminal events stored for one job message. */
    List<JsonNode> of(String identity) {
        return identity == null ? List.of() : byMessage.getOrDefault(identity, List.of());
    }

    List<JsonNode> all() {
        return all;
    }

    static Instant finishedAt(JsonNode event) {
        return Instant.parse(event.path("timings").path("finished_at").asText());
    }
}
