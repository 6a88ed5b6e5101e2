package dev.memorymodule.workers;

import java.util.Map;

import dev.memorymodule.workers.metrics.WorkerMetrics;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.main.Main;

/**
 * Runs a worker: Camel Main with the YAML routes of {@code routes/} and the configuration file named by the
 * {@code MM_CONFIG} environment variable (default {@code application.properties} in the working directory).
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
        String config = System.getenv().getOrDefault(CONFIG_ENV, DEFAULT_CONFIG);
        main.setPropertyPlaceholderLocations("file:" + config);
        // before Camel creates a registry of its own, so route timers get the worker's latency buckets
        main.bind(MicrometerConstants.METRICS_REGISTRY_NAME, WorkerMetrics.newRegistry());
        overrides.forEach(main::addOverrideProperty);
        return main;
    }
}
