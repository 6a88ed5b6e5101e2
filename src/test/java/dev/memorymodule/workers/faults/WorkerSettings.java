package dev.memorymodule.workers.faults;

import java.io.IOException;
import java.io.Reader;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;

import org.apache.camel.util.TimeUtils;

/**
 * The configuration the workers of a fault run get, on top of {@code application.properties}: where the servers
 * are, and whatever a scenario changes (a vector backend, a shorter ack wait). Everything else stays as a
 * deployment has it, so a run measures the configured retry budget, not one made up for the test.
 */
final class WorkerSettings {

    private static final Path PROJECT_CONFIG = Path.of("application.properties");

    private final Map<String, String> properties = new LinkedHashMap<>();
    private final Properties configured;

    WorkerSettings() {
        this.configured = new Properties();
        try (Reader reader = Files.newBufferedReader(PROJECT_CONFIG)) {
            configured.load(reader);
        } catch (IOException e) {
            throw new UncheckedIOException("run the fault suite from the project directory: no "
                    + PROJECT_CONFIG.toAbsolutePath(), e);
        }
    }

    WorkerSettings set(String key, String value) {
        properties.put(key, value);
        return this;
    }

    /** The value in force: set here, or else from application.properties. */
    String get(String key) {
        String value = properties.get(key);
        return value != null ? value : configured.getProperty(key, "").trim();
    }

    Map<String, String> overrides() {
        return Map.copyOf(properties);
    }

    boolean onQdrant() {
        return "qdrant".equals(get("mm.vector.backend"));
    }

    Duration duration(String key) {
        return Duration.ofMillis(TimeUtils.toMilliSeconds(get(key)));
    }
}
