package dev.memorymodule.workers.jetstream;

import java.util.Locale;
import java.util.Map;
import java.util.function.Supplier;

import io.nats.client.Connection;
import org.apache.camel.health.HealthCheckResultBuilder;
import org.apache.camel.impl.health.AbstractHealthCheck;

/**
 * Readiness of the jetstream component's NATS connection: UP only while it is connected. A worker whose server is
 * away fetches nothing and cannot store outcomes, so it should take no traffic; it is not a liveness check, since
 * the connection reconnects by itself and restarting the worker would not bring the server back sooner.
 */
public class NatsConnectionHealthCheck extends AbstractHealthCheck {

    /** Id of this check in health responses. */
    public static final String ID = "jetstream-nats";

    private final Supplier<Connection> connection;

    /** @param connection the component's current connection, or null while it has none */
    public NatsConnectionHealthCheck(Supplier<Connection> connection) {
        super("camel", ID);
        this.connection = connection;
    }

    @Override
    public boolean isLiveness() {
        return false;
    }

    @Override
    protected void doCall(HealthCheckResultBuilder builder, Map<String, Object> options) {
        Connection current = connection.get();
        if (current == null) {
            builder.down().message("no NATS connection: the jetstream component is not started");
            return;
        }
        Connection.Status status = current.getStatus();
        builder.detail("nats.status", status.name());
        if (status == Connection.Status.CONNECTED) {
            builder.detail("nats.server", current.getConnectedUrl());
            builder.up();
        } else {
            builder.down().message("NATS connection is " + status.name().toLowerCase(Locale.ROOT));
        }
    }
}
