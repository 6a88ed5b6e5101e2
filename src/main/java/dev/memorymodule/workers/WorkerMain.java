package dev.memorymodule.workers;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import dev.memorymodule.workers.metrics.WorkerMetrics;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.main.Main;

/**
 * Runs a worker: Camel Main with the YAML routes of {@code routes/} and {@code application.properties} of the
 * working directory, with the file the {@code MM_CONFIG} environment variable names on top of it.
 */
public final class WorkerMain {

    /** Environment variable naming the configuration file. */
    public static final String CONFIG_ENV = "MM_CONFIG";
    private static final String DEFAULT_CONFIG = "application.properties";

    private WorkerMain() {
    }

    public static void main(String[] args) throws Exception {
        System.exit(create(Map.of()).run(args));
    }

    /**
     * A worker that is configured but not started. {@code overrides} win over the file and the environment, as
     * tests need.
     */
    public static Main create(Map<String, String> overrides) {
        Main main = new Main();
        main.setPropertyPlaceholderLocations(configLocations(System.getenv(CONFIG_ENV)));
        // before Camel creates a registry of its own, so route timers get the worker's latency buckets
        main.bind(MicrometerConstants.METRICS_REGISTRY_NAME, WorkerMetrics.newRegistry());
        overrides.forEach(main::addOverrideProperty);
        return main;
    }

    /**
     * Where the configuration is read from: {@code application.properties}, and on top of it the file that
     * {@code MM_CONFIG} names, whose keys win. A file that holds only what differs is enough; one that holds
     * everything works too. A named file that does not exist is an error at start, not a silent default.
     */
    static String configLocations(String configEnv) {
        if (configEnv == null || configEnv.isBlank()) {
            return "file:" + DEFAULT_CONFIG;
        }
        Path named = Path.of(configEnv.trim());
        if (!Files.isRegularFile(named)) {
            throw new IllegalArgumentException(CONFIG_ENV + " names " + named.toAbsolutePath()
                    + ", which is not a readable file");
        }
        if (Files.isRegularFile(Path.of(DEFAULT_CONFIG))
                && !isSameFile(named, Path.of(DEFAULT_CONFIG))) {
            // Camel takes a key from the first location that has it
            return "file:" + named + ",file:" + DEFAULT_CONFIG;
        }
        return "file:" + named;
    }

    private static boolean isSameFile(Path a, Path b) {
        try {
            return Files.isSameFile(a, b);
        } catch (IOException e) {
            return false;
        }
    }
}
