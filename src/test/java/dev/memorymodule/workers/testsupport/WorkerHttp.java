package dev.memorymodule.workers.testsupport;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

import org.apache.camel.main.Main;

/** A client for one worker's embedded HTTP server: health, metrics and the job routes. */
public final class WorkerHttp {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final HttpClient client = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final String base;

    public WorkerHttp(int port) {
        this.base = "http://127.0.0.1:" + port;
    }

    /** The server of a worker started in this JVM, on the port its configuration gives. */
    public static WorkerHttp of(Main worker) {
        String port = worker.getCamelContext().resolvePropertyPlaceholders("{{mm.http.port}}");
        return new WorkerHttp(Integer.parseInt(port));
    }

    public HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return client.send(HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT).GET().build(),
                HttpResponse.BodyHandlers.ofString());
    }

    /** POSTs a JSON body; {@code headers} are name, value pairs. */
    public HttpResponse<String> post(String path, byte[] body, String... headers)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(base + path)).timeout(TIMEOUT)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (headers.length > 0) {
            request.headers(headers);
        }
        return client.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** The Prometheus scrape, parsed. */
    public PrometheusText metrics() throws IOException, InterruptedException {
        HttpResponse<String> response = get("/observe/metrics");
        if (response.statusCode() != 200) {
            throw new IllegalStateException("metrics answered " + response.statusCode() + ": " + response.body());
        }
        return PrometheusText.parse(response.body());
    }
}
