package dev.memorymodule.workers.streams;

import java.util.ArrayList;
import java.util.List;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.api.StreamConfiguration;
import io.nats.client.api.StreamInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Applies a {@link StreamCatalog} to a NATS server. Creating is safe from any number of workers at once;
 * updating an existing stream is left to the init-streams command, so a worker with stale configuration never
 * rewrites the fleet's streams.
 */
public final class StreamInitializer {

    private static final Logger LOG = LoggerFactory.getLogger(StreamInitializer.class);
    /** JetStream's error code for "stream not found". */
    private static final int STREAM_NOT_FOUND = 10059;

    /** What applying one stream did. */
    public enum Change { CREATED, UPDATED, UNCHANGED, DIFFERS }

    /** The outcome for one stream, with the settings that differ when it was not brought in line. */
    public record Result(String stream, Change change, List<String> differences) {
    }

    private final JetStreamManagement management;

    public StreamInitializer(JetStreamManagement management) {
        this.management = management;
    }

    /** Creates the streams that do not exist; logs, but keeps, those whose settings differ. */
    public List<Result> createMissing(StreamCatalog catalog) throws Exception {
        return apply(catalog, false, false);
    }

    /**
     * Creates missing streams and, when {@code update} is set, updates those whose settings differ. With
     * {@code dryRun} nothing is changed and the results say what would be.
     */
    public List<Result> apply(StreamCatalog catalog, boolean update, boolean dryRun) throws Exception {
        List<Result> results = new ArrayList<>();
        for (StreamSpec spec : catalog.all()) {
            results.add(applyOne(spec, update, dryRun));
        }
        return results;
    }

    private Result applyOne(StreamSpec spec, boolean update, boolean dryRun) throws Exception {
        StreamConfiguration wanted = spec.toConfiguration();
        StreamInfo existing = find(spec.name());
        if (existing == null) {
            if (!dryRun) {
                management.addStream(wanted);
                LOG.info("Created stream {} on {}", spec.name(), spec.subjects());
            }
            return new Result(spec.name(), Change.CREATED, List.of());
        }
        List<String> differences = differences(existing.getConfiguration(), wanted);
        if (differences.isEmpty()) {
            return new Result(spec.name(), Change.UNCHANGED, List.of());
        }
        if (!update) {
            LOG.warn("Stream {} differs from the configuration ({}); left as it is", spec.name(), differences);
            return new Result(spec.name(), Change.DIFFERS, differences);
        }
        if (!dryRun) {
            management.updateStream(wanted);
            LOG.info("Updated stream {}: {}", spec.name(), differences);
        }
        return new Result(spec.name(), Change.UPDATED, differences);
    }

    private StreamInfo find(String name) throws Exception {
        try {
            return management.getStreamInfo(name);
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_NOT_FOUND) {
                return null;
            }
            throw e;
        }
    }

    static List<String> differences(StreamConfiguration have, StreamConfiguration want) {
        List<String> differences = new ArrayList<>();
        compare(differences, "subjects", have.getSubjects(), want.getSubjects());
        compare(differences, "retention", have.getRetentionPolicy(), want.getRetentionPolicy());
        compare(differences, "max-age", have.getMaxAge(), want.getMaxAge());
        compare(differences, "max-bytes", have.getMaxBytes(), want.getMaxBytes());
        compare(differences, "max-msg-size", have.getMaximumMessageSize(), want.getMaximumMessageSize());
        compare(differences, "max-msgs", have.getMaxMsgs(), want.getMaxMsgs());
        compare(differences, "discard", have.getDiscardPolicy(), want.getDiscardPolicy());
        compare(differences, "duplicate-window", have.getDuplicateWindow(), want.getDuplicateWindow());
        compare(differences, "replicas", have.getReplicas(), want.getReplicas());
        compare(differences, "storage", have.getStorageType(), want.getStorageType());
        return differences;
    }

    private static void compare(List<String> differences, String name, Object have, Object want) {
        if (!java.util.Objects.equals(have, want)) {
            differences.add(name + " " + have + " -> " + want);
        }
    }
}
