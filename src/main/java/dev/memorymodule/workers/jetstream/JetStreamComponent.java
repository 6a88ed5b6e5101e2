package dev.memorymodule.workers.jetstream;

import dev.memorymodule.workers.config.DurationText;
import java.time.Duration;
import java.util.Map;

import dev.memorymodule.workers.streams.StreamCatalog;
import dev.memorymodule.workers.streams.StreamInitializer;
import io.nats.client.Connection;
import io.nats.client.ConnectionListener;
import io.nats.client.ErrorListener;
import io.nats.client.Nats;
import io.nats.client.Options;
import org.apache.camel.Endpoint;
import org.apache.camel.health.HealthCheckRegistry;
import org.apache.camel.spi.Metadata;
import org.apache.camel.spi.annotations.Component;
import org.apache.camel.support.DefaultComponent;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Reliable NATS JetStream endpoints for job workers: durable pull consumers with explicit ack, nak with backoff,
 * in-progress and term, and publishing that waits for the server's acknowledgement.
 * <p>
 * All endpoints of one component share one NATS connection, opened when the component starts. When a
 * {@link StreamCatalog} is set, the streams it defines are created at start where missing, before any consumer
 * binds to them. A readiness check ({@link NatsConnectionHealthCheck}) reports the connection while the component
 * runs.
 */
@Component("jetstream")
public class JetStreamComponent extends DefaultComponent {

    private static final Logger LOG = LoggerFactory.getLogger(JetStreamComponent.class);

    @Metadata(description = "NATS server URLs, comma separated", defaultValue = "nats://127.0.0.1:4222")
    private String servers = "nats://127.0.0.1:4222";
    @Metadata(description = "Name this client shows in the server's connection list", defaultValue = "mm-worker")
    private String connectionName = "mm-worker";
    @Metadata(description = "File holding an nkey seed (SU...) to authenticate with; none means no auth")
    private String nkeySeedFile;
    @Metadata(description = "Use TLS to the server (with the JVM's default trust store)", defaultValue = "false")
    private boolean tls;
    @Metadata(description = "Timeout for connecting and for JetStream API requests, such as publish acks",
              defaultValue = "5s")
    private String requestTimeout = "5s";
    @Metadata(description = "How often the client pings the server while the connection is quiet; after two pings "
            + "without an answer it drops the connection and reconnects", defaultValue = "5s")
    private String pingInterval = "5s";
    @Metadata(description = "Streams to create at start where missing (a StreamCatalog bean)")
    private StreamCatalog streamCatalog;
    @Metadata(description = "Create the streams of the catalog at start where missing", defaultValue = "true")
    private boolean ensureStreams = true;

    private volatile Connection connection;
    private NatsConnectionHealthCheck healthCheck;

    @Override
    protected Endpoint createEndpoint(String uri, String remaining, Map<String, Object> parameters) throws Exception {
        JetStreamEndpoint endpoint = new JetStreamEndpoint(uri, this, remaining);
        setProperties(endpoint, parameters);
        return endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        connection = Nats.connect(buildOptions());
        LOG.info("Connected to NATS at {} as {}", connection.getConnectedUrl(), connectionName);
        if (streamCatalog != null && ensureStreams) {
            new StreamInitializer(connection.jetStreamManagement()).createMissing(streamCatalog);
        }
        HealthCheckRegistry health = HealthCheckRegistry.get(getCamelContext());
        if (health != null) {
            healthCheck = new NatsConnectionHealthCheck(() -> connection);
            health.register(healthCheck);
        }
    }

    @Override
    protected void doStop() throws Exception {
        if (healthCheck != null) {
            HealthCheckRegistry.get(getCamelContext()).unregister(healthCheck);
            healthCheck = null;
        }
        if (connection != null) {
            // drain lets in-flight publishes and acks reach the server before the socket closes
            try {
                connection.drain(Duration.ofSeconds(10)).get();
            } catch (Exception e) {
                LOG.debug("Drain of the NATS connection did not finish cleanly: {}", e.toString());
            }
            connection.close();
            connection = null;
            LOG.info("Disconnected from NATS");
        }
        super.doStop();
    }

    Options buildOptions() throws Exception {
        Options.Builder builder = new Options.Builder()
                .servers(servers.split("\\s*,\\s*"))
                .connectionName(connectionName)
                .connectionTimeout(requestTimeoutDuration())
                // a worker must outlive a NATS restart: reconnect forever, and buffer while away
                .maxReconnects(-1)
                .reconnectWait(Duration.ofMillis(500))
                // jnats before 2.25.2 can come out of a reconnect looking connected while its writer never sends
                // again (a race in the client); only unanswered pings notice that and reconnect once more, and at
                // the client's default of two minutes the worker would sit deaf for several minutes
                .pingInterval(pingIntervalDuration())
                .connectionListener(new LoggingConnectionListener())
                .errorListener(new LoggingErrorListener());
        NatsAuth.apply(builder, nkeySeedFile, tls);
        return builder.build();
    }

    /** The shared connection, for beans that read JetStream beside the routes (such as job status lookups). */
    public Connection connection() {
        if (connection == null) {
            throw new IllegalStateException("the jetstream component is not started");
        }
        return connection;
    }

    Duration requestTimeoutDuration() {
        return DurationText.parse("requestTimeout", requestTimeout);
    }

    Duration pingIntervalDuration() {
        return DurationText.parse("pingInterval", pingInterval);
    }

    private static final class LoggingConnectionListener implements ConnectionListener {
        @Override
        public void connectionEvent(Connection conn, Events type) {
            switch (type) {
                case DISCONNECTED -> LOG.warn("Disconnected from NATS; reconnecting");
                case RECONNECTED -> LOG.info("Reconnected to NATS at {}", conn.getConnectedUrl());
                default -> LOG.debug("NATS connection event {}", type);
            }
        }
    }

    /**
     * Errors the server sends, such as a permissions violation for a subject this worker's user may not use, are
     * otherwise invisible: the request that caused one just times out.
     */
    private static final class LoggingErrorListener implements ErrorListener {
        @Override
        public void errorOccurred(Connection conn, String error) {
            LOG.warn("NATS server reported an error: {}", error);
        }
    }

    public String getServers() {
        return servers;
    }

    public void setServers(String servers) {
        this.servers = servers;
    }

    public String getConnectionName() {
        return connectionName;
    }

    public void setConnectionName(String connectionName) {
        this.connectionName = connectionName;
    }

    public String getNkeySeedFile() {
        return nkeySeedFile;
    }

    public void setNkeySeedFile(String nkeySeedFile) {
        this.nkeySeedFile = nkeySeedFile;
    }

    public boolean isTls() {
        return tls;
    }

    public void setTls(boolean tls) {
        this.tls = tls;
    }

    public String getRequestTimeout() {
        return requestTimeout;
    }

    public void setRequestTimeout(String requestTimeout) {
        this.requestTimeout = requestTimeout;
    }

    public String getPingInterval() {
        return pingInterval;
    }

    public void setPingInterval(String pingInterval) {
        this.pingInterval = pingInterval;
    }

    public StreamCatalog getStreamCatalog() {
        return streamCatalog;
    }

    public void setStreamCatalog(StreamCatalog streamCatalog) {
        this.streamCatalog = streamCatalog;
    }

    public boolean isEnsureStreams() {
        return ensureStreams;
    }

    public void setEnsureStreams(boolean ensureStreams) {
        this.ensureStreams = ensureStreams;
    }
}
