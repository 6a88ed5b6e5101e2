package dev.memorymodule.workers.streams;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Map;

import dev.memorymodule.workers.cli.MmCommand;
import dev.memorymodule.workers.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.Nats;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StreamConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** The init-streams command on a real server (a fresh one per test): creates, changes nothing, repairs drift. */
class StreamInitTest {

    private NatsServer nats;
    private Connection connection;

    @BeforeEach
    void start() throws Exception {
        nats = NatsServer.start();
        connection = Nats.connect(nats.url());
    }

    @AfterEach
    void stop() throws Exception {
        connection.close();
        nats.close();
    }

    private String run(String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        PrintStream original = System.out;
        System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
        try {
            int exit = new CommandLine(new MmCommand()).execute(args);
            return exit + "\n" + out.toString(StandardCharsets.UTF_8);
        } finally {
            System.setOut(original);
        }
    }

    @Test
    void createsEveryStreamThenChangesNothingThenRepairsDrift() throws Exception {
        String first = run("init-streams", "--nats", nats.url());
        assertThat(first).startsWith("0\n");
        for (String stream : new String[] { "MM_ONLINE", "MM_OFFLINE", "MM_WRITE", "MM_EVENTS", "MM_DLQ" }) {
            assertThat(first).containsPattern(stream + "\\s+CREATED");
        }
        StreamConfiguration online = connection.jetStreamManagement().getStreamInfo("MM_ONLINE").getConfiguration();
        assertThat(online.getRetentionPolicy()).isEqualTo(RetentionPolicy.WorkQueue);
        assertThat(online.getSubjects()).containsExactly("mm.online.>");
        assertThat(online.getMaximumMessageSize()).isEqualTo(1024 * 1024);

        String second = run("init-streams", "--nats", nats.url());
        assertThat(second).startsWith("0\n").doesNotContain("CREATED").doesNotContain("UPDATED");
        assertThat(second.split("UNCHANGED", -1)).hasSize(6);

        // someone changed a limit by hand: a dry run reports it and leaves it, a real run restores it
        connection.jetStreamManagement().updateStream(StreamConfiguration.builder(online)
                .maxMessages(5).build());
        String dryRun = run("init-streams", "--nats", nats.url(), "--dry-run");
        assertThat(dryRun).containsPattern("MM_ONLINE\\s+would update\\s+max-msgs 5 -> 1000000")
                .containsPattern("MM_DLQ\\s+unchanged").doesNotContain("UPDATED");
        assertThat(connection.jetStreamManagement().getStreamInfo("MM_ONLINE").getConfiguration().getMaxMsgs())
                .isEqualTo(5);
        run("init-streams", "--nats", nats.url());
        assertThat(connection.jetStreamManagement().getStreamInfo("MM_ONLINE").getConfiguration().getMaxMsgs())
                .isEqualTo(1_000_000);
    }

    @Test
    void aDryRunOnAFreshServerSaysWhatItWouldCreateAndCreatesNothing() throws Exception {
        String dryRun = run("init-streams", "--nats", nats.url(), "--dry-run");

        assertThat(dryRun).startsWith("0\n").doesNotContain("CREATED")
                .endsWith("dry run, no stream was created or changed\n");
        for (String stream : new String[] { "MM_ONLINE", "MM_OFFLINE", "MM_WRITE", "MM_EVENTS", "MM_DLQ" }) {
            assertThat(dryRun).containsPattern(stream + "\\s+would create");
        }
        assertThat(connection.jetStreamManagement().getStreamNames()).isEmpty();
    }

    @Test
    void aWorkerOnlyCreatesMissingStreamsAndLeavesDriftForTheOperator() throws Exception {
        StreamCatalog catalog = StreamCatalog.fromConfig(key -> Map.of(
                "mm.streams.dlq.max-msgs", "7").getOrDefault(key, defaults(key)));
        new StreamInitializer(connection.jetStreamManagement()).apply(StreamCatalog.fromConfig(this::defaults),
                false, false);

        var results = new StreamInitializer(connection.jetStreamManagement()).createMissing(catalog);

        assertThat(results).filteredOn(r -> r.stream().equals("MM_DLQ"))
                .singleElement().satisfies(r -> assertThat(r.change()).isEqualTo(StreamInitializer.Change.DIFFERS));
        assertThat(connection.jetStreamManagement().getStreamInfo("MM_DLQ").getConfiguration().getMaxMsgs())
                .isNotEqualTo(7);
    }

    /** The shipped configuration file, read the way the worker reads it. */
    private String defaults(String key) {
        try {
            java.util.Properties properties = new java.util.Properties();
            try (var in = java.nio.file.Files.newBufferedReader(java.nio.file.Path.of("application.properties"))) {
                properties.load(in);
            }
            return properties.getProperty(key);
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
