package dev.memorymodule.workers.fleet;

import java.time.Duration;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import io.nats.client.KeyValue;
import io.nats.client.KeyValueManagement;
import io.nats.client.Nats;
import io.nats.client.Options;
import io.nats.client.api.KeyValueConfiguration;
import io.nats.client.api.StorageType;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The worker's place in the fleet view: its capabilities in a KV bucket under its id, refreshed by a heartbeat,
 * and {@code worker.online} / {@code worker.offline} events. The bucket's TTL is the fleet's liveness rule: a worker
 * that stops heartbeating (killed, partitioned) disappears from the bucket within the TTL without anyone deleting
 * it; one that stops cleanly deletes its entry at once.
 * <p>
 * It has its own NATS connection, so it can announce the worker before the consumers start and after they stop.
 */
public final class FleetMembership implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(FleetMembership.class);
    /** JetStream's error code for "stream not found", which is what a missing bucket is. */
    private static final int BUCKET_NOT_FOUND = 10059;

    private final Options options;
    private final String bucket;
    private final Duration ttl;
    private final int replicas;
    private final String eventsPrefix;
    private final WorkerCapabilities capabilities;
    private final ObjectMapper mapper = new ObjectMapper();
    private final Instant startedAt = Instant.now();

    private Connection connection;
    private KeyValue entries;
    private ScheduledExecutorService heartbeat;

    /**
     * @param options      how to reach NATS (servers, auth)
     * @param bucket       KV bucket of the fleet view
     * @param ttl          how long an entry lives without a heartbeat; the heartbeat runs every third of it
     * @param replicas     bucket replicas
     * @param eventsPrefix subject prefix of worker events, e.g. {@code mm.events.worker}
     * @param capabilities what this worker announces
     */
    public FleetMembership(Options options, String bucket, Duration ttl, int replicas, String eventsPrefix,
                           WorkerCapabilities capabilities) {
        this.options = options;
        this.bucket = bucket;
        this.ttl = ttl;
        this.replicas = replicas;
        this.eventsPrefix = eventsPrefix;
        this.capabilities = capabilities;
    }

    /** Joins the fleet: creates the bucket where missing, writes the entry, announces the worker, heartbeats. */
    public void join() throws Exception {
        connection = Nats.connect(options);
        entries = connection.keyValue(ensureBucket(connection.keyValueManagement()));
        beat();
        publish("online");
        heartbeat = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "mm-fleet-heartbeat");
            thread.setDaemon(true);
            return thread;
        });
        long period = Math.max(100, ttl.toMillis() / 3);
        heartbeat.scheduleAtFixedRate(this::beatQuietly, period, period, TimeUnit.MILLISECONDS);
        LOG.info("Joined the fleet view {} as {} (ttl {})", bucket, capabilities.workerId(), ttl);
    }

    /** Leaves the fleet: stops heartbeating, deletes the entry, announces the worker gone. */
    @Override
    public void close() {
        if (heartbeat != null) {
            heartbeat.shutdownNow();
        }
        if (connection == null) {
            return;
        }
        try {
            entries.delete(capabilities.workerId());
            publish("offline");
            LOG.info("Left the fleet view {}", bucket);
        } catch (Exception e) {
            // the entry still expires with its TTL; the fleet view only learns of the exit later
            LOG.warn("Could not leave the fleet view cleanly: {}", e.toString());
        } finally {
            try {
                connection.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private String ensureBucket(KeyValueManagement management) throws Exception {
        try {
            management.getBucketInfo(bucket);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() != BUCKET_NOT_FOUND) {
                throw e;
            }
            try {
                management.create(KeyValueConfiguration.builder().name(bucket).ttl(ttl).maxHistoryPerKey(1)
                        .storageType(StorageType.File).replicas(replicas).build());
                LOG.info("Created the fleet bucket {} (ttl {})", bucket, ttl);
            } catch (JetStreamApiException raced) {
                // another worker created it between the two calls; that bucket is as good
                management.getBucketInfo(bucket);
            }
        }
        return bucket;
    }

    private void beat() throws Exception {
        entries.put(capabilities.workerId(), mapper.writeValueAsBytes(entry()));
    }

    private void beatQuietly() {
        try {
            beat();
        } catch (Exception e) {
            LOG.warn("Fleet heartbeat failed; the entry expires if this goes on past {}: {}", ttl, e.toString());
        }
    }

    private Map<String, Object> entry() {
        Map<String, Object> entry = new LinkedHashMap<>();
        entry.put("worker_id", capabilities.workerId());
        entry.put("pool", capabilities.pool());
        entry.put("job_types", capabilities.jobTypes());
        entry.put("gpu", capabilities.gpu());
        entry.put("vram_gb", capabilities.vramGb());
        entry.put("trust_zones", capabilities.trustZones());
        entry.put("tier", capabilities.tier());
        entry.put("models", capabilities.models());
        entry.put("concurrency", capabilities.concurrency());
        entry.put("started_at", startedAt.toString());
        entry.put("heartbeat_at", Instant.now().toString());
        return entry;
    }

    private void publish(String state) throws Exception {
        Map<String, Object> event = entry();
        event.put("event", "worker." + state);
        connection.jetStream().publish(eventsPrefix + "." + state + "." + subjectToken(capabilities.workerId()),
                mapper.writeValueAsBytes(event));
    }

    private static String subjectToken(String value) {
        return value.replaceAll("[^A-Za-z0-9_-]", "_");
    }
}
