package dev.memorymodule.workers.cli;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Properties;
import java.util.function.Function;

import dev.memorymodule.workers.jetstream.NatsAuth;
import io.nats.client.Connection;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
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

    /**
     * A connection to the NATS server of the configuration ({@code mm.nats.*}), for a command; the caller closes it.
     *
     * @throws CommandFailure naming the server and why, when it cannot be reached
     */
    Connection connect(String connectionName) throws Exception {
        String url = get("mm.nats.url");
        String[] why = {null};
        Options.Builder options = new Options.Builder().server(url).connectionName(connectionName)
                // jnats logs every failed attempt with a stack trace of its own; the command reports the cause once
                .errorListener(new ErrorListener() {
                    @Override
                    public void errorOccurred(Connection connection, String error) {
                        why[0] = error;
                    }

                    @Override
                    public void exceptionOccurred(Connection connection, Exception exception) {
                        why[0] = String.valueOf(exception.getMessage());
                    }
                });
        NatsAuth.apply(options, get("mm.nats.nkey-seed-file"), Boolean.parseBoolean(get("mm.nats.tls")));
        try {
            return Nats.connect(options.build());
        } catch (IOException e) {
            throw new CommandFailure("cannot connect to the NATS server at " + url + " ("
                    + (why[0] != null ? why[0] : e.getMessage()) + ")", e);
        }
    }

    @Override
    public void close() throws Exception {
        context.close();
    }
}
