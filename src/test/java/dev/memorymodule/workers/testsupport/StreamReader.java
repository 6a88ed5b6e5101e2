package dev.memorymodule.workers.testsupport;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.DeliverPolicy;

/** Reads a whole limits stream (events, dead letters) back with a throwaway consumer, as tests check it. */
public final class StreamReader {

    private static final int BATCH = 256;
    private static final Duration FETCH_WAIT = Duration.ofSeconds(2);
    // the server removes the consumer by itself should the reader die before unsubscribing
    private static final Duration INACTIVE_THRESHOLD = Duration.ofSeconds(30);

    private StreamReader() {
    }

    /** Every message of {@code stream} on {@code filter}, oldest first; empty when the stream does not exist. */
    public static List<Message> readAll(Connection connection, String stream, String filter) throws Exception {
        long total;
        try {
            total = connection.jetStreamManagement().getStreamInfo(stream).getStreamState().getMsgCount();
        } catch (JetStreamApiException e) {
            return List.of();
        }
        List<Message> messages = new ArrayList<>();
        if (total == 0) {
            return messages;
        }
        ConsumerConfiguration config = ConsumerConfiguration.builder().deliverPolicy(DeliverPolicy.All)
                .filterSubject(filter).inactiveThreshold(INACTIVE_THRESHOLD).build();
        JetStreamSubscription subscription = connection.jetStream().subscribe(null,
                PullSubscribeOptions.builder().stream(stream).configuration(config).build());
        try {
            // the total counts every subject of the stream, so a filtered read ends when a fetch comes back empty
            while (messages.size() < total) {
                List<Message> batch = subscription.fetch((int) Math.min(BATCH, total - messages.size()), FETCH_WAIT);
                if (batch.isEmpty()) {
                    break;
                }
                for (Message message : batch) {
                    message.ack();
                    messages.add(message);
                }
            }
        } finally {
            subscription.unsubscribe();
        }
        return messages;
    }
}
