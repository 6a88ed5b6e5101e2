package dev.memorymodule.workers.dlq;

import java.io.IOException;
import java.time.ZoneOffset;
import java.util.Optional;
import java.util.function.Consumer;

import io.nats.client.Connection;
import io.nats.client.FetchConsumeOptions;
import io.nats.client.FetchConsumer;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.OrderedConsumerContext;
import io.nats.client.StreamContext;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.OrderedConsumerConfiguration;
import io.nats.client.api.StreamState;

/**
 * Reads the dead-letter stream for operators. Reading never changes it: an ordered consumer is ephemeral, keeps no
 * state on the server and acknowledges nothing, so any number of readers can look at the same dead letters. Only
 * {@link #remove} deletes, and only the one message it names.
 */
public final class DeadLetterStore {

    /** Messages asked for in one pull; the server answers at once with what it has (no wait). */
    private static final int BATCH = 256;
    /** Bytes asked for in one pull: a dead letter can be as large as a job (8 MiB), and a pull is held in memory. */
    private static final int BATCH_BYTES = 16 << 20;
    /** The server's code for a sequence that holds no message (never stored, deleted or aged out). */
    private static final int NO_MESSAGE_FOUND = 10037;

    private final Connection connection;
    private final String stream;
    private final String subjectPrefix;

    /**
     * @param stream        the dead-letter stream, e.g. {@code MM_DLQ}
     * @param subjectPrefix its subject prefix, e.g. {@code mm.dlq}
     */
    public DeadLetterStore(Connection connection, String stream, String subjectPrefix) {
        this.connection = connection;
        this.stream = stream;
        this.subjectPrefix = subjectPrefix;
    }

    public String stream() {
        return stream;
    }

    /**
     * A subject filter inside the stream. A filter that does not start with the prefix is taken as relative to it,
     * so {@code *.embed} means {@code mm.dlq.*.embed}.
     */
    public String subjectFilter(String filter) {
        if (filter == null || filter.isBlank()) {
            return subjectPrefix + ".>";
        }
        String trimmed = filter.trim();
        if (trimmed.chars().anyMatch(Character::isWhitespace)) {
            throw new IllegalArgumentException("a subject filter holds no white space: '" + filter + "'");
        }
        return trimmed.startsWith(subjectPrefix + ".") ? trimmed : subjectPrefix + "." + trimmed;
    }

    /**
     * Hands every dead letter the query matches to {@code action}, oldest first. Only what was stored when the call
     * began is read: a replay that dead-letters a job again adds to the stream while it is read, and must not be
     * read back as more work.
     */
    public void forEach(DeadLetterQuery query, Consumer<DeadLetter> action) throws IOException, JetStreamApiException {
        StreamContext context = connection.getStreamContext(stream);
        StreamState state = context.getStreamInfo().getStreamState();
        if (state.getMsgCount() == 0) {
            return;
        }
        long last = state.getLastSequence();

        OrderedConsumerConfiguration config = new OrderedConsumerConfiguration()
                .filterSubject(subjectFilter(query.subjectFilter()));
        if (query.since() != null) {
            config.deliverPolicy(DeliverPolicy.ByStartTime).startTime(query.since().atZone(ZoneOffset.UTC));
        }
        OrderedConsumerContext consumer = context.createOrderedConsumer(config);
        FetchConsumeOptions batch = FetchConsumeOptions.builder().max(BATCH_BYTES, BATCH).noWait().build();
        while (readBatch(consumer, batch, last, query, action)) {
            // each batch continues where the ordered consumer left off
        }
    }

    /** One pull; true while the stream has more for this consumer up to {@code last}. */
    private boolean readBatch(OrderedConsumerContext consumer, FetchConsumeOptions batch, long last,
                              DeadLetterQuery query, Consumer<DeadLetter> action)
            throws IOException, JetStreamApiException {
        boolean more = false;
        try (FetchConsumer fetch = consumer.fetch(batch)) {
            for (Message message = fetch.nextMessage(); message != null; message = fetch.nextMessage()) {
                DeadLetter letter = fromConsumer(message);
                if (letter.sequence() > last) {
                    return false;
                }
                if (query.matches(letter)) {
                    action.accept(letter);
                }
                more = message.metaData().pendingCount() > 0 && letter.sequence() < last;
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while reading " + stream, e);
        } catch (IOException | JetStreamApiException | RuntimeException e) {
            throw e;
        } catch (Exception e) {
            // a status the server sent instead of messages, or closing the pull failed
            throw new IOException("reading " + stream + " failed: " + e.getMessage(), e);
        }
        return more;
    }

    /** The dead letter at a sequence of the stream, or empty when it holds none. */
    public Optional<DeadLetter> get(long sequence) throws IOException, JetStreamApiException {
        if (sequence < 1) {
            // sequences start at 1; the server answers a bad request to anything less
            return Optional.empty();
        }
        JetStreamManagement management = connection.jetStreamManagement();
        try {
            MessageInfo info = management.getMessage(stream, sequence);
            return Optional.of(new DeadLetter(info.getSeq(), info.getTime().toInstant(), info.getSubject(),
                    info.getHeaders(), info.getData()));
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
                return Optional.empty();
            }
            throw e;
        }
    }

    /** Deletes one dead letter; false when it was gone already. */
    public boolean remove(long sequence) throws IOException, JetStreamApiException {
        try {
            return connection.jetStreamManagement().deleteMessage(stream, sequence);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == NO_MESSAGE_FOUND) {
                return false;
            }
            throw e;
        }
    }

    private static DeadLetter fromConsumer(Message message) {
        return new DeadLetter(message.metaData().streamSequence(), message.metaData().timestamp().toInstant(),
                message.getSubject(), message.getHeaders(), message.getData());
    }
}
