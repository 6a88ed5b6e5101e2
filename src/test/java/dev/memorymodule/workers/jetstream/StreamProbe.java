package dev.memorymodule.workers.jetstream;

import java.io.IOException;
import java.time.Duration;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.impl.Headers;

/**
 * The test's own plain jnats client, beside the component under test: it creates the streams, publishes the jobs
 * and reads back what the server holds, so every assertion is about the server's state and not the component's.
 */
final class StreamProbe implements AutoCloseable {

    // short, so that after a server restart the probe is back before the test publishes again
    private static final Duration RECONNECT_WAIT = Duration.ofMillis(100);

    private final Connection connection;
    private final JetStreamManagement management;
    private final JetStream jetStream;

    StreamProbe(String url) throws IOException, InterruptedException {
        Options options = Options.builder()
                .server(url)
                .maxReconnects(-1)
                .reconnectWait(RECONNECT_WAIT)
                .build();
        connection = Nats.connect(options);
        management = connection.jetStreamManagement();
        jetStream = connection.jetStream();
    }

    /** A stream that deletes each message once a consumer acks or terminates it, as the job streams do. */
    void createWorkQueue(String stream, String subjects) throws IOException, JetStreamApiException {
        create(stream, subjects, RetentionPolicy.WorkQueue);
    }

    /** A stream that keeps what it captures, as the dead-letter and event streams do. */
    void createLimits(String stream, String subjects) throws IOException, JetStreamApiException {
        create(stream, subjects, RetentionPolicy.Limits);
    }

    private void create(String stream, String subjects, RetentionPolicy retention)
            throws IOException, JetStreamApiException {
        // file storage, so that messages and consumers survive a server restart as in production
        management.addStream(StreamConfiguration.builder()
                .name(stream)
                .subjects(subjects)
                .retentionPolicy(retention)
                .storageType(StorageType.File)
                .build());
    }

    /** Publishes and waits for the server's ack; returns the stream sequence it stored the message at. */
    long publish(String subject, byte[] body) throws IOException, JetStreamApiException {
        return publish(subject, new Headers(), body);
    }

    long publish(String subject, Headers headers, byte[] body) throws IOException, JetStreamApiException {
        return jetStream.publish(subject, headers, body).getSeqno();
    }

    long messageCount(String stream) throws IOException, JetStreamApiException {
        return management.getStreamInfo(stream).getStreamState().getMsgCount();
    }

    ConsumerInfo consumer(String stream, String durable) throws IOException, JetStreamApiException {
        return management.getConsumerInfo(stream, durable);
    }

    MessageInfo lastMessage(String stream, String subject) throws IOException, JetStreamApiException {
        return management.getLastMessage(stream, subject);
    }

    MessageInfo message(String stream, long sequence) throws IOException, JetStreamApiException {
        return management.getMessage(stream, sequence);
    }

    boolean isConnected() {
        return connection.getStatus() == Connection.Status.CONNECTED;
    }

    Connection connection() {
        return connection;
    }

    @Override
    public void close() throws InterruptedException {
        connection.close();
    }
}
