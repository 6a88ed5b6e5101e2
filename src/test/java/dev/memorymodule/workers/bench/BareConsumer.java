package dev.memorymodule.workers.bench;

import java.time.Duration;
import java.util.List;

import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.RetentionPolicy;
import io.nats.client.api.StorageType;
import io.nats.client.api.StreamConfiguration;

/**
 * The floor the worker's consumer is measured against: a bare jnats loop on the same server that fetches in batches
 * from a durable pull consumer on a file-backed work-queue stream and acks each message, doing nothing else.
 */
final class BareConsumer {

    private static final String STREAM = "BENCH_BARE";
    private static final Duration FETCH_WAIT = Duration.ofSeconds(1);

    private BareConsumer() {
    }

    /** Publishes {@code messages} copies of {@code payload}, then drains them; returns messages per second. */
    static double messagesPerSecond(Connection connection, byte[] payload, int messages, int batchSize)
            throws Exception {
        JetStreamManagement management = connection.jetStreamManagement();
        try {
            management.deleteStream(STREAM);
        } catch (Exception missing) {
            // first use
        }
        management.addStream(StreamConfiguration.builder().name(STREAM).subjects(STREAM.toLowerCase() + ".>")
                .retentionPolicy(RetentionPolicy.WorkQueue).storageType(StorageType.File).build());
        JetStream jetStream = connection.jetStream();
        for (int i = 0; i < messages; i++) {
            jetStream.publishAsync(STREAM.toLowerCase() + ".job", payload);
        }
        connection.flush(Duration.ofSeconds(30));
        while (management.getStreamInfo(STREAM).getStreamState().getMsgCount() < messages) {
            Thread.sleep(10);
        }

        ConsumerConfiguration consumer = ConsumerConfiguration.builder().durable("bare").ackPolicy(AckPolicy.Explicit)
                .build();
        JetStreamSubscription subscription = jetStream.subscribe(STREAM.toLowerCase() + ".>",
                PullSubscribeOptions.builder().stream(STREAM).configuration(consumer).build());
        long started = System.nanoTime();
        int acked = 0;
        while (acked < messages) {
            // never more than are left: a fetch for more waits out its whole expiry on the last, short batch
            List<Message> batch = subscription.fetch(Math.min(batchSize, messages - acked), FETCH_WAIT);
            for (Message message : batch) {
                // the worker acks only once its outcome is stored, which also waits for the server
                message.ackSync(Duration.ofSeconds(5));
                acked++;
            }
        }
        double seconds = (System.nanoTime() - started) / 1e9;
        subscription.unsubscribe();
        management.deleteStream(STREAM);
        return acked / seconds;
    }
}
