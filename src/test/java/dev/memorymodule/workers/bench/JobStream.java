package dev.memorymodule.workers.bench;

import java.io.IOException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.memorymodule.workers.client.JobSubjects;
import io.nats.client.Connection;
import io.nats.client.Dispatcher;
import io.nats.client.JetStream;
import io.nats.client.Message;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsMessage;

/**
 * Publishes jobs as any publisher would (subject and {@code Nats-Msg-Id} from {@link JobSubjects}) and times each
 * one from just before its publish to the arrival of its outcome event, which it listens for on core NATS.
 */
final class JobStream implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String EVENTS = "mm.events.job.>";
    private static final Duration ACK_WAIT = Duration.ofSeconds(30);

    private final Connection connection;
    private final JetStream jetStream;
    private final Dispatcher dispatcher;
    private final Map<String, Long> sentAt = new ConcurrentHashMap<>();
    private final Map<String, Long> answeredAt = new ConcurrentHashMap<>();
    private final Map<String, String> outcomes = new ConcurrentHashMap<>();

    JobStream(Connection connection) throws IOException {
        this.connection = connection;
        this.jetStream = connection.jetStream();
        this.dispatcher = connection.createDispatcher(this::onEvent);
        dispatcher.subscribe(EVENTS);
    }

    /** Publishes every job as fast as the server acknowledges them; returns when all are stored. */
    void publishAll(List<JsonNode> jobs) throws Exception {
        List<CompletableFuture<PublishAck>> acks = new ArrayList<>(jobs.size());
        for (JsonNode job : jobs) {
            acks.add(publishAsync(job));
        }
        for (CompletableFuture<PublishAck> ack : acks) {
            ack.get(ACK_WAIT.toMillis(), TimeUnit.MILLISECONDS);
        }
    }

    /** Publishes one job without waiting for the server. */
    CompletableFuture<PublishAck> publishAsync(JsonNode job) throws IOException {
        Headers headers = new Headers().put("Nats-Msg-Id", JobSubjects.msgId(job));
        Message message = NatsMessage.builder().subject(JobSubjects.subject(job)).headers(headers)
                .data(MAPPER.writeValueAsBytes(job)).build();
        sentAt.put(job.path("job_id").asText(), System.nanoTime());
        return jetStream.publishAsync(message);
    }

    /** Waits until every job in {@code jobIds} has its outcome event; fails with how many are missing. */
    void awaitAll(List<String> jobIds, Duration timeout) throws Exception {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (true) {
            long missing = jobIds.stream().filter(id -> !answeredAt.containsKey(id)).count();
            if (missing == 0) {
                return;
            }
            if (System.nanoTime() > deadline) {
                throw new TimeoutException(missing + " of " + jobIds.size() + " jobs have no outcome after "
                        + timeout);
            }
            Thread.sleep(20);
        }
    }

    /** Seconds from the first publish to the last outcome among {@code jobIds}. */
    double spanSeconds(List<String> jobIds) {
        long first = Long.MAX_VALUE;
        long last = Long.MIN_VALUE;
        for (String id : jobIds) {
            first = Math.min(first, sentAt.get(id));
            last = Math.max(last, answeredAt.get(id));
        }
        return (last - first) / 1e9;
    }

    /** Milliseconds from publish to outcome, per job, in the order given. */
    List<Double> latenciesMillis(List<String> jobIds) {
        List<Double> latencies = new ArrayList<>(jobIds.size());
        for (String id : jobIds) {
            latencies.add((answeredAt.get(id) - sentAt.get(id)) / 1e6);
        }
        return latencies;
    }

    /** How many of {@code jobIds} ended with each outcome. */
    Map<String, Integer> outcomeCounts(List<String> jobIds) {
        Map<String, Integer> counts = new java.util.TreeMap<>();
        for (String id : jobIds) {
            counts.merge(outcomes.getOrDefault(id, "none"), 1, Integer::sum);
        }
        return counts;
    }

    private void onEvent(Message message) {
        long now = System.nanoTime();
        try {
            JsonNode event = MAPPER.readTree(message.getData());
            String jobId = event.path("job_id").asText(null);
            if (jobId == null) {
                return;
            }
            // the first event counts; a second one would be a defect the fault suite looks for, not a timing
            if (answeredAt.putIfAbsent(jobId, now) == null) {
                outcomes.put(jobId, event.path("event").asText());
            }
        } catch (IOException e) {
            // not an event
        }
    }

    @Override
    public void close() {
        connection.closeDispatcher(dispatcher);
    }
}
