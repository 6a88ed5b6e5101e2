package dev.memorymodule.workers.streams;

import dev.memorymodule.workers.config.DurationText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Function;


/**
 * The project's streams, read from configuration keys {@code mm.streams.<id>.<setting>}, where id is one of
 * {@link #STREAM_IDS}. The same keys drive the worker and the init-streams command, so both create the same
 * streams.
 */
public final class StreamCatalog {

    /** The streams of the design: jobs by priority, store writes, events, dead letters. */
    public static final List<String> STREAM_IDS = List.of("online", "offline", "write", "events", "dlq");
    /** The streams workers take jobs from: the only ones a job is ever published to. */
    public static final List<String> JOB_STREAM_IDS = List.of("online", "offline", "write");

    private final Map<String, StreamSpec> streams;

    public StreamCatalog(Map<String, StreamSpec> streams) {
        this.streams = Map.copyOf(new LinkedHashMap<>(streams));
    }

    /**
     * Reads every stream from {@code lookup}, which answers a configuration key or null when it is unset. A missing
     * key fails with its name: the defaults live in application.properties, not in code.
     */
    public static StreamCatalog fromConfig(Function<String, String> lookup) {
        Map<String, StreamSpec> streams = new LinkedHashMap<>();
        for (String id : STREAM_IDS) {
            Setting setting = new Setting(lookup, "mm.streams." + id + ".");
            streams.put(id, new StreamSpec(
                    setting.text("name"),
                    Arrays.stream(setting.text("subjects").split(",")).map(String::trim).toList(),
                    setting.text("retention"),
                    setting.duration("max-age"),
                    setting.bytes("max-bytes"),
                    (int) setting.bytes("max-msg-size"),
                    Long.parseLong(setting.text("max-msgs")),
                    setting.text("discard"),
                    setting.duration("duplicate-window"),
                    Integer.parseInt(setting.text("replicas")),
                    setting.text("storage")));
        }
        return new StreamCatalog(streams);
    }

    public StreamSpec get(String id) {
        StreamSpec spec = streams.get(id);
        if (spec == null) {
            throw new IllegalArgumentException("no stream with id " + id + "; known: " + STREAM_IDS);
        }
        return spec;
    }

    /** The subjects of the job streams ({@code mm.online.>} ...), in the order of {@link #JOB_STREAM_IDS}. */
    public List<String> jobSubjects() {
        List<String> subjects = new ArrayList<>();
        for (String id : JOB_STREAM_IDS) {
            subjects.addAll(get(id).subjects());
        }
        return subjects;
    }

    public List<StreamSpec> all() {
        List<StreamSpec> all = new ArrayList<>();
        for (String id : STREAM_IDS) {
            all.add(streams.get(id));
        }
        return all;
    }

    private record Setting(Function<String, String> lookup, String prefix) {

        String text(String key) {
            String value = lookup.apply(prefix + key);
            if (value == null || value.isBlank()) {
                throw new IllegalArgumentException("missing configuration " + prefix + key);
            }
            return value.trim();
        }

        Duration duration(String key) {
            return DurationText.parse(prefix + key, text(key));
        }

        /** Sizes accept a plain byte count or a KiB/MiB/GiB suffix, as operators write them. */
        long bytes(String key) {
            String value = text(key).replace(" ", "");
            long unit = 1;
            String upper = value.toUpperCase(java.util.Locale.ROOT);
            for (String[] suffix : new String[][] { { "GIB", "1073741824" }, { "MIB", "1048576" },
                    { "KIB", "1024" }, { "GB", "1000000000" }, { "MB", "1000000" }, { "KB", "1000" } }) {
                if (upper.endsWith(suffix[0])) {
                    unit = Long.parseLong(suffix[1]);
                    value = value.substring(0, value.length() - suffix[0].length());
                    break;
                }
            }
            return Long.parseLong(value) * unit;
        }
    }
}
