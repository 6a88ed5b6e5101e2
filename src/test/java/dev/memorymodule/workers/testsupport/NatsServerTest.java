package dev.memorymodule.workers.testsupport;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener.Events;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.PublishAck;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(120)
class NatsServerTest {

    private static final String STREAM = "FIXTURE";
    private static final String SUBJECT = "fixture.job";
    private static final byte[] PAYLOAD = "{\"job\":1}".getBytes(StandardCharsets.UTF_8);
    private static final Duration EVENT_WAIT = Duration.ofSeconds(10);
    private static final String DURABLE = "fixture-worker";

    @Test
    void startsWithJetStreamOnItsOwnPort() throws Exception {
        try (NatsServer nats = NatsServer.start(); Connection connection = Nats.connect(nats.url())) {
            assertThat(nats.url()).isEqualTo("nats://127.0.0.1:" + nats.port());
            assertThat(nats.port()).isNotEqualTo(Options.DEFAULT_PORT);
            assertThat(connection.getServerInfo().isJetStreamAvailable()).isTrue();

            long sequence = createStreamAndPublish(connection);

            assertThat(connection.jetStreamManagement().getMessage(STREAM, sequence).getData()).isEqualTo(PAYLOAD);
        }
    }

    @Test
    void streamAndMessageSurviveRestartOnTheSamePort() throws Exception {
        try (NatsServer nats = NatsServer.start()) {
            int port = nats.port();
            long sequence;
            try (Connection connection = Nats.connect(nats.url())) {
                sequence = createStreamAndPublish(connection);
            }

            nats.restart();

            assertThat(nats.port()).isEqualTo(port);
            try (Connection connection = Nats.connect(nats.url())) {
                JetStreamManagement jsm = connection.jetStreamManagement();
                assertThat(jsm.getStreamInfo(STREAM).getStreamState().getMsgCount()).isEqualTo(1);
                assertThat(jsm.getMessage(STREAM, sequence).getData()).isEqualTo(PAYLOAD);
            }
        }
    }

    @Test
    void durableConsumerAndItsAcksSurviveRestart() throws Exception {
        try (NatsServer nats = NatsServer.start()) {
            Path consumerState;
            try (Connection connection = Nats.connect(nats.url())) {
                createStreamAndPublish(connection);
                connection.jetStream().publish(SUBJECT, PAYLOAD);
                connection.jetStreamManagement().addOrUpdateConsumer(STREAM, ConsumerConfiguration.builder()
                        .durable(DURABLE).ackPolicy(AckPolicy.Explicit).build());
                JetStreamSubscription subscription = connection.jetStream().subscribe(null,
                        PullSubscribeOptions.bind(STREAM, DURABLE));
                List<Message> first = subscription.fetch(1, EVENT_WAIT);
                assertThat(first).hasSize(1);
                first.get(0).ackSync(EVENT_WAIT);
                consumerState = consumerDir(nats.storeDir());
                assertThat(consumerState).isDirectory();
            }

            nats.restart();

            // the consumer's state lives in the store directory, which a restart keeps
            assertThat(consumerState).isDirectory();
            try (Connection connection = Nats.connect(nats.url())) {
                ConsumerInfo info = connection.jetStreamManagement().getConsumerInfo(STREAM, DURABLE);
                assertThat(info.getAckFloor().getStreamSequence()).isEqualTo(1);
                assertThat(info.getNumPending()).isEqualTo(1);
                JetStreamSubscription subscription = connection.jetStream().subscribe(null,
                        PullSubscribeOptions.bind(STREAM, DURABLE));
                List<Message> next = subscription.fetch(1, EVENT_WAIT);
                assertThat(next).hasSize(1);
                assertThat(next.get(0).metaData().streamSequence()).isEqualTo(2);
            }
        }
    }

    @Test
    void killDisconnectsClientsAndRestartBringsThemBack() throws Exception {
        try (NatsServer nats = NatsServer.start()) {
            Set<Events> seen = ConcurrentHashMap.newKeySet();
            Options options = Options.builder()
                    .server(nats.url())
                    .maxReconnects(-1)
                    .reconnectWait(Duration.ofMillis(100))
                    .connectionListener((connection, event) -> seen.add(event))
                    .build();
            try (Connection connection = Nats.connect(options)) {
                long sequence = createStreamAndPublish(connection);

                nats.kill();

                assertThat(nats.isRunning()).isFalse();
                await().atMost(EVENT_WAIT).until(() -> seen.contains(Events.DISCONNECTED));

                nats.restart();

                await().atMost(EVENT_WAIT).until(() -> seen.contains(Events.RECONNECTED));
                assertThat(connection.jetStreamManagement().getMessage(STREAM, sequence).getData())
                        .isEqualTo(PAYLOAD);
            }
        }
    }

    @Test
    void appliesConfigTextAndExtraArgs() throws Exception {
        String config = "max_payload: 4096\n"
                + "authorization { user: worker, password: s3cret }\n";
        NatsServer.Builder builder = NatsServer.builder()
                .config(config)
                .extraArgs("--name", "mm-fixture")
                .probeOptions(options -> options.userInfo("worker", "s3cret"));

        try (NatsServer nats = builder.start()) {
            Options withUser = Options.builder().server(nats.url()).userInfo("worker", "s3cret").build();
            try (Connection connection = Nats.connect(withUser)) {
                assertThat(connection.getServerInfo().getMaxPayload()).isEqualTo(4096);
                assertThat(connection.getServerInfo().getServerName()).isEqualTo("mm-fixture");
            }
            // short: a refused login would otherwise wait out the client's default connection timeout
            Options anonymous = Options.builder()
                    .server(nats.url())
                    .connectionTimeout(Duration.ofMillis(500))
                    .noReconnect()
                    .build();
            assertThatThrownBy(() -> Nats.connect(anonymous).close()).hasMessageContaining("Authorization");
        }
    }

    @Test
    void closeStopsTheServerAndDeletesItsFiles() {
        NatsServer nats = NatsServer.start();
        Path store = nats.storeDir();
        assertThat(store).isDirectory();

        nats.close();

        assertThat(nats.isRunning()).isFalse();
        assertThat(Files.exists(store)).isFalse();
        assertThat(Files.exists(nats.logFile())).isFalse();
    }

    /** Where the server keeps a durable consumer's state: {@code <store>/jetstream/<account>/streams/<stream>/obs}. */
    private static Path consumerDir(Path store) throws IOException {
        try (Stream<Path> found = Files.find(store, 8, (path, attributes) -> attributes.isDirectory()
                && path.getFileName().toString().equals(DURABLE) && path.getParent().endsWith("obs"))) {
            return found.findFirst().orElseThrow(() -> new AssertionError("no state of " + DURABLE + " in " + store));
        }
    }

    private static long createStreamAndPublish(Connection connection) throws IOException, JetStreamApiException {
        connection.jetStreamManagement().addStream(StreamConfiguration.builder()
                .name(STREAM)
                .subjects(SUBJECT)
                .storageType(StorageType.File)
                .build());
        PublishAck ack = connection.jetStream().publish(SUBJECT, PAYLOAD);
        return ack.getSeqno();
    }
}
