package dev.memorymodule.workers.jetstream;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static dev.memorymodule.workers.testsupport.WorkerHarness.fresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.streams.StreamCatalog;
import dev.memorymodule.workers.streams.StreamInitializer;
import dev.memorymodule.workers.testsupport.NatsServer;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.testsupport.WorkerHttp;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import org.apache.camel.main.Main;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * A NATS server that admits nkey users only, each with the permissions of its role, and the real worker
 * authenticating with its seed file: the worker runs a job end to end on its minimal permissions, a publisher
 * can submit jobs but not consume them, the worker cannot submit them, a worker serving the HTTP job routes does
 * with a user of its own, and nobody gets in without a known key.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class NkeyAuthTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(30);
    private static final Duration SHORT_TIMEOUT = Duration.ofSeconds(1);

    /**
     * The users and permission sets of the README's example {@code auth.conf}, with this test's public keys. The
     * worker may read its streams through its durable consumers and write events, dead letters and reply copies,
     * nothing else; the publisher may submit jobs and read outcomes and replies; the gateway is a worker with the
     * HTTP job routes and no consumers; the admin (bin/init-streams, operators) may do anything.
     */
    private static final String AUTH_CONF = """
            # Publishers (the control plane): submit jobs, follow their outcomes.
            PUBLISHER = {
              publish: { allow: ["mm.online.>", "mm.offline.>", "mm.write.>"] }
              subscribe: { allow: [
                "_INBOX.>"        # the server's acknowledgement of each job published
                "mm.events.>"     # outcome events as they are stored
                "mm.reply.>"      # completed-event copies asked for with Mm-Reply-To
              ] }
            }

            # Workers: pull jobs through their durable consumers, report outcomes. They cannot submit a job, create,
            # change or delete a stream, or use another stream's consumers.
            WORKER = {
              publish: {
                allow: [
                  # at start: each stream must exist (bin/init-streams creates them with the admin key)
                  "$JS.API.STREAM.INFO.MM_ONLINE", "$JS.API.STREAM.INFO.MM_OFFLINE", "$JS.API.STREAM.INFO.MM_WRITE"
                  "$JS.API.STREAM.INFO.MM_EVENTS", "$JS.API.STREAM.INFO.MM_DLQ"
                  # create or update the durable ($JS.API.CONSUMER.CREATE.<stream>.<durable>.<filter> on 2.9)
                  "$JS.API.CONSUMER.CREATE.MM_ONLINE.>", "$JS.API.CONSUMER.CREATE.MM_OFFLINE.>"
                  "$JS.API.CONSUMER.CREATE.MM_WRITE.>"
                  # bind to it, and read its num_pending for mm_consumer_pending
                  "$JS.API.CONSUMER.INFO.MM_ONLINE.*", "$JS.API.CONSUMER.INFO.MM_OFFLINE.*"
                  "$JS.API.CONSUMER.INFO.MM_WRITE.*"
                  # fetch (pull) batches
                  "$JS.API.CONSUMER.MSG.NEXT.MM_ONLINE.*", "$JS.API.CONSUMER.MSG.NEXT.MM_OFFLINE.*"
                  "$JS.API.CONSUMER.MSG.NEXT.MM_WRITE.*"
                  # ack, nak with delay, in progress, term: each message's reply subject
                  "$JS.ACK.MM_ONLINE.>", "$JS.ACK.MM_OFFLINE.>", "$JS.ACK.MM_WRITE.>"
                  "mm.events.>"     # outcome events, worker online/offline events
                  "mm.dlq.>"        # dead letters
                  "mm.reply.>"      # completed-event copies to the publisher's Mm-Reply-To
                  # the fleet view (mm.fleet.bucket): its KV bucket, made by the first worker, and this entry
                  "$JS.API.STREAM.INFO.KV_mm_workers", "$JS.API.STREAM.CREATE.KV_mm_workers", "$KV.mm_workers.>"
                ]
                # not needed with the allow list above; said so that a wider allow added later cannot undo it
                deny: ["mm.online.>", "mm.offline.>", "mm.write.>"]
              }
              # fetched jobs, API answers and publish acknowledgements all arrive on the connection's inbox
              subscribe: { allow: ["_INBOX.>"] }
            }

            # A worker with mm.http.jobs.enabled = true and its consumers off: POST /jobs publishes jobs, GET
            # /jobs/{id} reads the last event of each outcome subject.
            # (not GATEWAY: the server reads that name as its own gateway block)
            JOB_GATEWAY = {
              publish: { allow: [
                "mm.online.>", "mm.offline.>", "mm.write.>"
                "$JS.API.STREAM.INFO.MM_ONLINE", "$JS.API.STREAM.INFO.MM_OFFLINE", "$JS.API.STREAM.INFO.MM_WRITE"
                "$JS.API.STREAM.INFO.MM_EVENTS", "$JS.API.STREAM.INFO.MM_DLQ"
                "$JS.API.STREAM.MSG.GET.MM_EVENTS"
                "mm.events.worker.>"
                "$JS.API.STREAM.INFO.KV_mm_workers", "$JS.API.STREAM.CREATE.KV_mm_workers", "$KV.mm_workers.>"
              ] }
              subscribe: { allow: ["_INBOX.>"] }
            }

            ADMIN = { publish: ">", subscribe: ">" }

            authorization {
              users = [
                { nkey: %s, permissions: $PUBLISHER }
                { nkey: %s, permissions: $WORKER }
                { nkey: %s, permissions: $JOB_GATEWAY }
                { nkey: %s, permissions: $ADMIN }
              ]
            }
            """;

    private final NKey admin = user();
    private final NKey publisher = user();
    private final NKey worker = user();
    private final NKey gateway = user();
    @TempDir
    static Path dir;

    private WorkerHarness harness;

    @BeforeAll
    void start() throws Exception {
        String config = AUTH_CONF.formatted(publicKey(publisher), publicKey(worker), publicKey(gateway),
                publicKey(admin));
        NatsServer nats = NatsServer.builder().config(config).probeOptions(options -> as(options, admin)).start();
        harness = new WorkerHarness(nats, as(Options.builder(), admin));
        // the streams exist before the worker starts: creating them is the admin's job (bin/init-streams)
        new StreamInitializer(harness.connection().jetStreamManagement()).createMissing(streamCatalog());

        harness.startWorker(Map.of("mm.nats.nkey-seed-file", seedFile(worker).toString()));
    }

    @AfterAll
    void stop() throws Exception {
        if (harness != null) {
            harness.close();
        }
    }

    @Test
    void clientWithoutAKnownNkeyIsRefused() throws Exception {
        Options anonymous = Options.builder().server(harness.nats().url()).noReconnect()
                .connectionTimeout(SHORT_TIMEOUT).build();
        assertThatThrownBy(() -> Nats.connect(anonymous)).isInstanceOf(IOException.class)
                .hasMessageContaining("Authorization Violation");

        Options stranger = as(Options.builder(), user()).server(harness.nats().url()).noReconnect()
                .connectionTimeout(SHORT_TIMEOUT).build();
        assertThatThrownBy(() -> Nats.connect(stranger)).isInstanceOf(IOException.class)
                .hasMessageContaining("Authorization Violation");
    }

    @Test
    void workerAuthenticatedByItsSeedFileRunsAJobFromAPublisherEndToEnd() throws Exception {
        Violations violations = new Violations();
        try (Connection connection = violations.connect(publisher);
             JobClient client = new JobClient(connection, "mm.events.job")) {
            ObjectNode job = embedJob("authenticated all the way");
            String jobId = job.path("job_id").asText();
            client.watch(jobId);
            Subscription replies = connection.subscribe("mm.reply." + jobId);
            Headers headers = new Headers().put("Nats-Msg-Id", job.path("idempotency_key").asText())
                    .put(JobClient.REPLY_TO_HEADER, "mm.reply." + jobId);
            PublishAck published = connection.jetStream().publish("mm.online.embed.A.cpu", headers, bytes(job));
            assertThat(published.getStream()).isEqualTo("MM_ONLINE");

            JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
            assertThat(event).isNotNull();
            assertThat(event.path("event").asText()).isEqualTo("completed");
            assertThat(replies.nextMessage(OUTCOME_WAIT)).as("reply copy of the completed event").isNotNull();
            assertThat(violations.messages()).isEmpty();
            // the worker needed nothing beyond its permissions: the server logged no violation of its user
            // (other than the publish this class provokes on purpose)
            assertThat(Files.readAllLines(harness.nats().logFile())).noneMatch(line -> line.contains("Violation")
                    && line.contains(publicKey(worker)) && !line.contains("Subject \"mm.online.embed.A.cpu\""));
        }
    }

    @Test
    void publisherCannotCreateAConsumerNorPullJobs() throws Exception {
        Violations violations = new Violations();
        try (Connection connection = violations.connect(publisher)) {
            ConsumerConfiguration sneaky = ConsumerConfiguration.builder().durable("sneaky")
                    .filterSubject("mm.online.>").build();
            assertThatThrownBy(() -> connection.jetStreamManagement().addOrUpdateConsumer("MM_ONLINE", sneaky))
                    .isInstanceOf(IOException.class);
            violations.await("Permissions Violation for Publish to \"$JS.API.CONSUMER.CREATE.MM_ONLINE");

            // binding the worker's own durable needs its info, which the publisher may not ask for either
            assertThatThrownBy(() -> connection.jetStream().subscribe(null,
                    PullSubscribeOptions.bind("MM_ONLINE", "cpu-online"))).isInstanceOf(IOException.class);
            violations.await("Permissions Violation for Publish to \"$JS.API.CONSUMER.INFO.MM_ONLINE.cpu-online\"");

            // nor can it pull from the durable directly
            assertThat(connection.request("$JS.API.CONSUMER.MSG.NEXT.MM_ONLINE.cpu-online",
                    "{\"batch\":1}".getBytes(StandardCharsets.UTF_8), SHORT_TIMEOUT)).isNull();
            violations.await("Permissions Violation for Publish to \"$JS.API.CONSUMER.MSG.NEXT.MM_ONLINE.cpu-online\"");
        }
    }

    @Test
    void workerCannotPublishJobsToAStreamItOnlyReads() throws Exception {
        long before = lastSequence("MM_ONLINE");
        Violations violations = new Violations();
        try (Connection connection = violations.connect(worker)) {
            assertThatThrownBy(() -> connection.jetStream().publish("mm.online.embed.A.cpu",
                    bytes(embedJob("not from a worker")))).isInstanceOf(IOException.class);
            violations.await("Permissions Violation for Publish to \"mm.online.embed.A.cpu\"");
        }
        assertThat(lastSequence("MM_ONLINE")).isEqualTo(before);
    }

    @Test
    void gatewayUserSubmitsAndLooksUpJobsOverHttp() throws Exception {
        Main gatewayWorker = harness.startWorker(Map.of("mm.nats.nkey-seed-file", seedFile(gateway).toString(),
                "mm.http.jobs.enabled", "true", "mm.consumer.online.enabled", "false",
                "mm.consumer.offline.enabled", "false", "mm.consumer.write.enabled", "false"));
        WorkerHttp http = WorkerHttp.of(gatewayWorker);
        ObjectNode job = embedJob("through the gateway");
        String jobId = job.path("job_id").asText();

        assertThat(http.post("/jobs", bytes(job)).statusCode()).isEqualTo(202);
        // run by the worker of the class; its outcome read back through the gateway
        await().atMost(OUTCOME_WAIT).until(() -> http.get("/jobs/" + jobId).body().contains("\"completed\""));
        harness.stopWorker(gatewayWorker);
        assertThat(Files.readAllLines(harness.nats().logFile()))
                .noneMatch(line -> line.contains("Violation") && line.contains(publicKey(gateway)));
    }

    private static Path seedFile(NKey key) throws Exception {
        Path file = Files.createTempFile(dir, "user-", ".nk");
        Files.writeString(file, new String(key.getSeed()) + "\n");
        return file;
    }

    private long lastSequence(String stream) throws Exception {
        return harness.connection().jetStreamManagement().getStreamInfo(stream).getStreamState().getLastSequence();
    }

    private static StreamCatalog streamCatalog() throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"))) {
            properties.load(reader);
        }
        return StreamCatalog.fromConfig(properties::getProperty);
    }

    private static NKey user() {
        try {
            return NKey.createUser(new SecureRandom());
        } catch (Exception e) {
            throw new IllegalStateException("cannot create an nkey", e);
        }
    }

    private static String publicKey(NKey key) {
        try {
            return new String(key.getPublicKey());
        } catch (Exception e) {
            throw new IllegalStateException("cannot read an nkey's public key", e);
        }
    }

    private static Options.Builder as(Options.Builder options, NKey key) {
        try {
            return options.authHandler(Nats.staticCredentials(null, key.getSeed()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot read an nkey's seed", e);
        }
    }

    private static ObjectNode embedJob(String text) throws Exception {
        ObjectNode job = fresh(caseTree("03-retrieve-same-org.json"));
        job.put("type", "embed");
        ObjectNode input = (ObjectNode) job.path("input");
        input.put("input_type", "search_document");
        input.put("model", "custom");
        input.putArray("text").add(text);
        return job;
    }

    /** Connections whose server errors (permission violations arrive that way) are collected to assert on. */
    private final class Violations {

        private final List<String> messages = new CopyOnWriteArrayList<>();

        Connection connect(NKey key) throws Exception {
            ErrorListener listener = new ErrorListener() {
                @Override
                public void errorOccurred(Connection conn, String error) {
                    messages.add(error);
                }
            };
            return Nats.connect(as(Options.builder(), key).server(harness.nats().url()).errorListener(listener)
                    .connectionTimeout(SHORT_TIMEOUT).build());
        }

        List<String> messages() {
            return messages;
        }

        void await(String expected) {
            Awaitility.await().atMost(Duration.ofSeconds(5))
                    .until(() -> messages.stream().anyMatch(m -> m.contains(expected)));
        }
    }
}
