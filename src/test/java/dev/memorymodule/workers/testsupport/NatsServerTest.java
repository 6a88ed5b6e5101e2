package dev.memorymodule.workers.testsupport;

import io.nats.client.Connection;
import io.nats.client.ConnectionListener.Events;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
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
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

@Timeout(120)
class NatsServerTest {

    private static final String STREAM = "FIXTURE";
    private static final String SUBJECT = "fixture.job";
    private static final byte[] PAYLOAD = "{\"job\":1}".getBytes(StandardCharsets.UTF_8);
    private static final Duration EVENT_WAIT = Duration.ofSeconds(10);

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
