package dev.memorymodule.workers.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.f4b6a3.ulid.UlidCreator;
import dev.memorymodule.workers.WorkerMain;
import io.nats.client.Connection;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import org.apache.camel.main.Main;

/**
 * Runs the real worker (Camel Main with the YAML routes and application.properties of the project) against an
 * isolated NATS server and a database of its own, and reads what it produced back from the streams.
 */
public final class WorkerHarness implements AutoCloseable {

    /** Keys every test worker overrides: short waits so fault tests take seconds, not minutes. */
    private static final Map<String, String> TEST_DEFAULTS = Map.of(
            "mm.consumer.ack-wait", "4s",
            "mm.consumer.nak-backoff", "200ms,500ms,1s",
            "mm.consumer.drain-timeout", "5s",
            "mm.db.connection-timeout", "1s",
            "mm.idempotency.lease", "20s",
            "mm.consumer.handover-delay", "100ms",
            "mm.consumer.max-handovers", "5",
            // the pipeline's own tests need no graph or vector store; tests of those job types widen this
            "mm.worker.job-types", "embed,pg_write",
            "camel.main.shutdown-timeout", "10");

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final Path CASES = Path.of("..", "shared", "cases", "jobs");

    private final NatsServer nats;
    private final PostgresDatabase database;
    private final List<Main> workers = new ArrayList<>();
    private final Connection connection;

    public WorkerHarness() throws Exception {
        this(NatsServer.start(), Options.builder());
    }

    /**
     * A harness on a server the test configured itself (users, permissions); the harness's own connection, which
     * reads the streams back, uses {@code options} and so needs a user allowed to do that.
     */
    public WorkerHarness(NatsServer nats, Options.Builder options) throws Exception {
        this.nats = nats;
        this.database = PostgresDatabase.create();
        this.connection = Nats.connect(options.server(nats.url()).build());
    }

    public NatsServer nats() {
        return nats;
    }

    public PostgresDatabase database() {
        return database;
    }

    public Connection connection() {
        return connection;
    }

    /** The configuration a test worker gets, before the caller's own overrides. */
    public Map<String, String> workerProperties() {
        Map<String, String> properties = new HashMap<>(TEST_DEFAULTS);
        properties.put("mm.nats.url", nats.url());
        properties.put("mm.db.url", database.jdbcUrl());
        properties.put("mm.db.user", database.user());
        properties.put("mm.db.password", database.password());
        // each worker its own HTTP port, so workers of one test, and tests in parallel, never collide
        properties.put("mm.http.port", Integer.toString(FreePorts.pick()));
        return properties;
    }

    /** Starts a worker in this JVM with the given overrides on top of {@link #workerProperties()}. */
    public Main startWorker(Map<String, String> overrides) throws Exception {
        Map<String, String> properties = workerProperties();
        properties.putAll(overrides);
        Main main = WorkerMain.create(properties);
        main.start();
        workers.add(main);
        return main;
    }

    public void stopWorker(Main main) {
        main.stop();
        workers.remove(main);
    }

    /** A case job from the shared test cases, as bytes. */
    public static byte[] caseJob(String file) throws IOException {
        Path path = CASES.resolve(file);
        if (!Files.isRegularFile(path)) {
            throw new IllegalStateException("test case not found at " + path.toAbsolutePath()
                    + ": run the tests from the project directory, with shared/ beside it");
        }
        return Files.readAllBytes(path);
    }

    /** A case job as a tree, to derive variants from. */
    public static ObjectNode caseTree(String file) throws IOException {
        return (ObjectNode) MAPPER.readTree(caseJob(file));
    }

    /** Gives a job a fresh job id and idempotency key, so tests never collide. */
    public static ObjectNode fresh(ObjectNode job) {
        String jobId = UlidCreator.getMonotonicUlid().toString();
        job.put("job_id", jobId);
        job.put("idempotency_key", "sha256:" + jobId.toLowerCase());
        ((ObjectNode) job.path("timestamps")).put("created_at", java.time.Instant.now().toString());
        ((ObjectNode) job.path("timestamps")).remove("deadline");
        return job;
    }

    public static byte[] bytes(JsonNode job) throws IOException {
        return MAPPER.writeValueAsBytes(job);
    }

    /** Every event stored so far for a job id, in order. */
    public List<JsonNode> events(String jobId) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (Message message : readAll("MM_EVENTS", "mm.events.>")) {
            JsonNode event = MAPPER.readTree(message.getData());
            if (jobId.equals(event.path("job_id").asText(null))) {
                events.add(event);
            }
        }
        return events;
    }

    /** Every dead letter stored so far whose job id header matches (or, for null, all of them). */
    public List<Message> deadLetters() throws Exception {
        return readAll("MM_DLQ", "mm.dlq.>");
    }

    /** Reads a whole limits stream with a throwaway consumer. */
    public List<Message> readAll(String stream, String filter) throws Exception {
        return StreamReader.readAll(connection, stream, filter);
    }

    @Override
    public void close() throws Exception {
        for (Main main : List.copyOf(workers)) {
            try {
                main.stop();
            } catch (Exception e) {
                // best effort: the servers below go away anyway
            }
        }
        connection.close();
        nats.close();
        database.close();
    }
}
