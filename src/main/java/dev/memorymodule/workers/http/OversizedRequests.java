package dev.memorymodule.workers.http;

import java.util.Set;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpServerResponse;
import io.vertx.ext.web.RoutingContext;
import org.apache.camel.CamelContext;
import org.apache.camel.component.platform.http.vertx.VertxPlatformHttpRouter;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Answers a request body over {@code camel.server.max-body-size} in JSON, like every other refusal of the job
 * routes. Vert.x's body handler refuses such a body before any route sees it; left to itself the router answers
 * in plain text and logs "Unhandled exception in router" at ERROR with no detail.
 */
public final class OversizedRequests {

    private static final Logger LOG = LoggerFactory.getLogger(OversizedRequests.class);
    private static final int PAYLOAD_TOO_LARGE = 413;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private OversizedRequests() {
    }

    /** Adds the handler to every platform-http server of the context; call once they are started. */
    public static void install(CamelContext context) {
        Set<VertxPlatformHttpRouter> routers = context.getRegistry().findByType(VertxPlatformHttpRouter.class);
        for (VertxPlatformHttpRouter router : routers) {
            Long limit = router.getServer().getMaxBodySize();
            // a failure handler of its own route sees every failure of the server's routes, whatever the path
            router.route().failureHandler(routing -> handle(routing, limit));
        }
    }

    private static void handle(RoutingContext routing, Long limit) {
        HttpServerResponse response = routing.response();
        if (routing.statusCode() != PAYLOAD_TOO_LARGE || response.ended() || response.closed()) {
            routing.next();
            return;
        }
        String reason = "the request body is larger than the " + limit + " bytes this server accepts"
                + " (camel.server.max-body-size)";
        LOG.warn("HTTP {} {} refused with 413: {}", routing.request().method(), routing.request().path(), reason);
        ObjectNode body = MAPPER.createObjectNode();
        body.put("error", "request too large");
        body.put("reason", reason);
        response.setStatusCode(PAYLOAD_TOO_LARGE)
                .putHeader("Content-Type", "application/json")
                .end(Buffer.buffer(body.toString()));
    }
}
