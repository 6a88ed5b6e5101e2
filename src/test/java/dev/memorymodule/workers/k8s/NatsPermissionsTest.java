package dev.memorymodule.workers.k8s;

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
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.jetstream.NatsAuth;
import dev.memorymodule.workers.streams.StreamCatalog;
import dev.memorymodule.workers.streams.StreamInitializer;
import dev.memorymodule.workers.testsupport.NatsServer;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamOptions;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.Subscription;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Runs a real nats-server with the users and permissions of the manifests ({@code auth.conf} of the nats-config
 * ConfigMap) and checks that each identity can do its part of the job lifecycle, and is refused what is not its
 * part. Only the source of the public keys differs from a pod: variables in the file instead of the environment.
 */
class NatsPermissionsTest {

    private static final Path BASE = Path.of("k8s", "base");
    private static final String NATS_CONFIG_MAP = "nats-config";
    private static final Duration SHORT = Duration.ofSeconds(1);
    private static final Duration WAIT = Duration.ofSeconds(5);
    private static final byte[] JOB = "{\"type\":\"embed\"}".getBytes(StandardCharsets.UTF_8);
    private static final byte[] EVENT = "{\"event\":\"completed\"}".getBytes(StandardCharsets.UTF_8);
    // a refused request never reaches JetStream and is never answered: wait briefly, not the default 2 s
    private static final JetStreamOptions QUICK = JetStreamOptions.builder().requestTimeout(SHORT).build();

    @TempDir
    Path dir;

    private NatsServer nats;
    private Connection worker;
    private Connection publisher;
    private final Queue<String> workerErrors = new ConcurrentLinkedQueue<>();
    private final Queue<String> publisherErrors = new ConcurrentLinkedQueue<>();

    @BeforeEach
    void startServerWithTheManifestsUsers() throws Exception {
        SecureRandom random = new SecureRandom();
        NKey workerKey = NKey.createUser(random);
        NKey publisherKey = NKey.createUser(random);
        NKey adminKey = NKey.createUser(random);

        String config = variable("NATS_NKEY_WORKER", workerKey)
                + variable("NATS_NKEY_PUBLISHER", publisherKey)
                + variable("NATS_NKEY_ADMIN", adminKey)
                + authConf();
        nats = NatsServer.builder()
                .config(config)
                .probeOptions(options -> options.authHandler(Nats.staticCredentials(null, adminKey.getSeed())))
                .start();

        worker = connect(workerKey, "worker", workerErrors);
        publisher = connect(publisherKey, "publisher", publisherErrors);
    }

    @AfterEach
    void stop() throws InterruptedException {
        if (publisher != null) {
            publisher.close();
        }
        if (worker != null) {
            worker.close();
        }
        if (nats != null) {
            nats.close();
        }
    }

    @Test
    void eachIdentityCanDoItsPartOfAJobsLifecycle() throws Exception {
        List<StreamInitializer.Result> streams = new StreamInitializer(worker.jetStreamManagement(QUICK))
                .apply(StreamCatalog.fromConfig(properties()::getProperty), true, false);
        assertThat(streams).extracting(StreamInitializer.Result::change)
                .containsOnly(StreamInitializer.Change.CREATED);

        worker.jetStreamManagement(QUICK).addOrUpdateConsumer("MM_ONLINE", ConsumerConfiguration.builder()
                .durable("cpu-online")
                .filterSubject("mm.online.*.*.cpu")
                .ackPolicy(AckPolicy.Explicit)
                .build());
        JetStreamSubscription jobs = worker.jetStream(QUICK)
                .subscribe(null, PullSubscribeOptions.bind("MM_ONLINE", "cpu-online"));
        Subscription events = publisher.subscribe("mm.events.>");
        Subscription replies = publisher.subscribe("mm.reply.>");
        publisher.flush(WAIT);

        publisher.jetStream(QUICK).publish("mm.online.embed.A.cpu", JOB);
        Message job = jobs.fetch(1, WAIT).get(0);
        job.inProgress();
        job.ackSync(WAIT);

        JetStream workerStreams = worker.jetStream(QUICK);
        workerStreams.publish("mm.events.job.completed", EVENT);
        workerStreams.publish("mm.dlq.online.embed", JOB);
        worker.publish("mm.reply.agent-7", EVENT);
        assertThat(events.nextMessage(WAIT)).isNotNull();
        assertThat(replies.nextMessage(WAIT)).isNotNull();

        // a publisher replays what became of its jobs through a consumer of its own on MM_EVENTS
        publisher.jetStreamManagement(QUICK).addOrUpdateConsumer("MM_EVENTS", ConsumerConfiguration.builder()
                .durable("control-plane")
                .ackPolicy(AckPolicy.Explicit)
                .build());
        Message replayed = publisher.jetStream(QUICK)
                .subscribe(null, PullSubscribeOptions.bind("MM_EVENTS", "control-plane"))
                .fetch(1, WAIT).get(0);
        replayed.ackSync(WAIT);

        assertThat(workerErrors).isEmpty();
        assertThat(publisherErrors).isEmpty();
    }

    @Test
    void eachIdentityIsRefusedWhatIsNotItsPart() throws Exception {
        new StreamInitializer(worker.jetStreamManagement(QUICK))
                .apply(StreamCatalog.fromConfig(properties()::getProperty), true, false);
        JetStreamManagement workerManagement = worker.jetStreamManagement(QUICK);
        JetStreamManagement publisherManagement = publisher.jetStreamManagement(QUICK);

        assertThatThrownBy(() -> publisher.jetStream(QUICK).publish("mm.events.job.forged", EVENT));
        assertThatThrownBy(() -> publisher.jetStream(QUICK).publish("mm.dlq.online.forged", JOB));
        assertThatThrownBy(() -> publisherManagement.addOrUpdateConsumer("MM_ONLINE",
                ConsumerConfiguration.builder().durable("stolen").build()));
        assertThatThrownBy(() -> publisherManagement.addStream(StreamConfiguration.builder()
                .name("MM_OTHER").subjects("other.>").storageType(StorageType.File).build()));
        assertThatThrownBy(() -> worker.jetStream(QUICK).publish("mm.online.embed.A.cpu", JOB));
        assertThatThrownBy(() -> workerManagement.deleteStream("MM_ONLINE"));
        assertThatThrownBy(() -> workerManagement.purgeStream("MM_DLQ"));
        worker.subscribe("mm.online.>");
        publisher.subscribe("mm.dlq.>");

        await().atMost(WAIT).untilAsserted(() -> {
            assertThat(publisherErrors).anyMatch(e -> e.contains("Publish") && e.contains("mm.events.job.forged"));
            assertThat(publisherErrors).anyMatch(e -> e.contains("Publish") && e.contains("mm.dlq.online.forged"));
            assertThat(publisherErrors).anyMatch(e -> e.contains("Publish") && e.contains("MM_ONLINE"));
            assertThat(publisherErrors).anyMatch(e -> e.contains("Publish") && e.contains("MM_OTHER"));
            assertThat(publisherErrors).anyMatch(e -> e.contains("Subscription") && e.contains("mm.dlq.>"));
            assertThat(workerErrors).anyMatch(e -> e.contains("Publish") && e.contains("mm.online.embed.A.cpu"));
            assertThat(workerErrors).anyMatch(e -> e.contains("Publish") && e.contains("STREAM.DELETE.MM_ONLINE"));
            assertThat(workerErrors).anyMatch(e -> e.contains("Publish") && e.contains("STREAM.PURGE.MM_DLQ"));
            assertThat(workerErrors).anyMatch(e -> e.contains("Subscription") && e.contains("mm.online.>"));
        });
    }

    private Connection connect(NKey key, String name, Queue<String> errors) throws Exception {
        Path seed = Files.writeString(dir.resolve(name + ".nk"), new String(key.getSeed()) + "\n");
        Options.Builder options = new Options.Builder()
                .server(nats.url())
                .connectionName(name)
                .connectionTimeout(WAIT)
                .noReconnect()
                .errorListener(new ErrorListener() {
                    @Override
                    public void errorOccurred(Connection connection, String error) {
                        errors.add(error);
                    }
                });
        // the worker's own code reads the seed file, as it does from the mounted Secret
        NatsAuth.apply(options, seed.toString(), false);
        return Nats.connect(options.build());
    }

    private static String variable(String name, NKey key) throws Exception {
        return name + ": \"" + new String(key.getPublicKey()) + "\"\n";
    }

    private static String authConf() throws IOException {
        for (ObjectNode object : Kustomization.render(BASE)) {
            if (object.path("kind").asText().equals("ConfigMap")
                    && object.path("metadata").path("name").asText().equals(NATS_CONFIG_MAP)) {
                return object.path("data").path("auth.conf").asText();
            }
        }
        throw new AssertionError("no ConfigMap " + NATS_CONFIG_MAP + " in " + BASE);
    }

    private static Properties properties() throws IOException {
        Properties properties = new Properties();
        try (Reader reader = Files.newBufferedReader(Path.of("application.properties"))) {
            properties.load(reader);
        }
        Map.copyOf(properties).forEach((key, value) -> properties.setProperty((String) key, ((String) value).trim()));
        return properties;
    }
}
