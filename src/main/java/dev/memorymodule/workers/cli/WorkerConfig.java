package dev.memorymodule.workers.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

import org.apache.camel.CamelContext;
import org.apache.camel.impl.DefaultCamelContext;

/**
 * The worker's configuration as a command outside the worker sees it: the same file, resolved by Camel's own
 * properties component, so environment variables override keys exactly as they do in a worker.
 */
final class WorkerConfig implements AutoCloseable {

    private final CamelContext context;

    private WorkerConfig(CamelContext context) {
        this.context = context;
    }

    static WorkerConfig load(Path file, Map<String, String> overrides) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("configuration file not found: " + file.toAbsolutePath());
        }
        CamelContext context = new DefaultCamelContext(false);
        context.getPropertiesComponent().setLocation("file:" + file);
        Properties override = new Properties();
        override.putAll(overrides);
        context.getPropertiesComponent().setOverrideProperties(override);
        // initialised, not started: the properties component needs the type converter, nothing else runs
        context.init();
        return new WorkerConfig(context);
    }

    Function<String, String> lookup() {
        return key -> context.getPropertiesComponent().resolveProperty(key).orElse(null);
    }

    String get(String key) {
        return lookup().apply(key);
    }

    @Override
    public void close() throws Exception {
        context.close();
    }
}
