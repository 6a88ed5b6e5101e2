package dev.memorymodule.workers.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.memorymodule.workers.testsupport.FreePorts;
import dev.memorymodule.workers.testsupport.NatsServer;
import dev.memorymodule.workers.testsupport.Neo4jServer;
import dev.memorymodule.workers.testsupport.PostgresDatabase;
import dev.memorymodule.workers.testsupport.PrometheusText;
import dev.memorymodule.workers.testsupport.WorkerHttp;
import dev.memorymodule.workers.testsupport.WorkerProcess;
import io.nats.client.Connection;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;

/**
 * What a benchmark run stands on: its own nats-server, a fresh PostgreSQL database, a Neo4j server when a section
 * needs stores, and workers in JVMs of their own (so their memory can be read and their load is not the
 * benchmark's). Everything is created for the run and removed after it.
 */
final class BenchRig implements AutoCloseable {

    private static final Duration WORKER_START = Duration.ofSeconds(180);
    private static final String CONFIG = "application.properties";
    private static final String ROUTES_PATTERN_KEY = "camel.main.routes-include-pattern";
    private static final String[] WORK_STREAMS = {"MM_ONLINE", "MM_OFFLINE", "MM_WRITE"};

    private final NatsServer nats;
    private final PostgresDatabase database;
    private final Connection connection;
    private Neo4jServer neo4j;

    BenchRig() throws Exception {
        this.nats = NatsServer.start();
        this.database = PostgresDatabase.create();
        this.connection = Nats.connect(Options.builder().server(nats.url()).maxReconnects(-1).build());
    }

    Connection connection() {
        return connection;
    }

    /** Starts the Neo4j server the store sections write to, once. */
    void ensureNeo4j() {
        if (neo4j == null) {
            neo4j = Neo4jServer.builder().heap("1g").start();
        }
    }

    /** A worker of the run, and its HTTP server for metrics. */
    record Worker(String id, WorkerProcess process, WorkerHttp http) implements AutoCloseable {

        PrometheusText metrics() throws Exception {
            return http.metrics();
        }

        @Override
        public void close() throws Exception {
            if (process.isAlive()) {
                // a clean stop, as in a deployment; the figures are already read
                process.terminate(Duration.ofSeconds(60));
            }
            process.close();
        }
    }

    /**
     * Starts a worker with the project's routes and configuration, the rig's addresses, and {@code overrides}; waits
     * until it has started.
     */
    Worker startWorker(String id, Map<String, String> overrides) throws Exception {
        return startWorker(id, overrides, List.of());
    }

    /** {@link #startWorker(String, Map)} with more options for the worker's JVM. */
    Worker startWorker(String id, Map<String, String> overrides, List<String> jvmOptions) throws Exception {
        Map<String, String> properties = new HashMap<>();
        properties.put("mm.worker.id", id);
        properties.put("mm.nats.url", nats.url());
        properties.put("mm.db.url", database.jdbcUrl());
        properties.put("mm.db.user", database.user());
        properties.put("mm.db.password", database.password());
        properties.put("mm.http.port", Integer.toString(FreePorts.pick()));
        if (neo4j != null) {
            properties.put("mm.neo4j.url", neo4j.url());
        }
        properties.putAll(overrides);
        WorkerProcess worker = WorkerProcess.start(properties, jvmOptions);
        try {
            worker.awaitStarted(WORKER_START);
        } catch (Exception e) {
            worker.close();
            throw e;
        }
        return new Worker(id, worker, new WorkerHttp(Integer.parseInt(properties.get("mm.http.port"))));
    }

    /**
     * A copy of the project's configuration whose routes are the project's, with {@code jobRoutes} (a file of routes
     * for {@code direct:job-*}) in place of {@code routes/jobs.camel.yaml}. The worker reads it through
     * {@code MM_CONFIG}.
     */
    static Path configWithJobRoutes(Path jobRoutes) throws IOException {
        StringBuilder patterns = new StringBuilder();
        try (var files = Files.list(Path.of("routes"))) {
            files.map(Path::toString).filter(name -> name.endsWith(".camel.yaml"))
                    .filter(name -> !name.endsWith("jobs.camel.yaml")).sorted()
                    .forEach(name -> patterns.append("file:").append(name).append(','));
        }
        patterns.append("file:").append(jobRoutes.toAbsolutePath());
        StringBuilder config = new StringBuilder();
        for (String line : Files.readAllLines(Path.of(CONFIG))) {
            config.append(line.startsWith(ROUTES_PATTERN_KEY) ? ROUTES_PATTERN_KEY + " = " + patterns : line)
                    .append('\n');
        }
        Path file = Files.createTempFile("mm-bench-", ".properties");
        file.toFile().deleteOnExit();
        Files.writeString(file, config);
        return file;
    }

    /**
     * Removes the durable consumers of the work streams, so the next section's workers may bind filters that overlap
     * those of the workers before them (a work-queue stream refuses overlapping consumers).
     */
    void deleteWorkConsumers() throws Exception {
        JetStreamManagement management = connection.jetStreamManagement();
        for (String stream : WORK_STREAMS) {
            for (String consumer : management.getConsumerNames(stream)) {
                management.deleteConsumer(stream, consumer);
            }
        }
    }

    @Override
    public void close() throws Exception {
        try {
            connection.close();
        } finally {
            try {
                nats.close();
            } finally {
                try {
                    database.close();
                } finally {
                    if (neo4j != null) {
                        neo4j.close();
                    }
                }
            }
        }
    }
}
