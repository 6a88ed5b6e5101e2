package dev.memorymodule.workers.memory;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpServer;
import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.TransientJobException;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The chat summarizer against a stand-in for an OpenAI-compatible endpoint: a local HTTP server that records the
 * request and answers in that API's response format. No language model can be run on the build machines, so this
 * checks the protocol and the error handling, not the quality of a summary.
 */
class ChatSummarizerTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private HttpServer server;
    private final AtomicReference<JsonNode> lastRequest = new AtomicReference<>();
    private final AtomicReference<String> lastAuthorization = new AtomicReference<>();
    private volatile int status = 200;
    private volatile String answer = "{\"choices\":[{\"message\":{\"role\":\"assistant\",\"content\":\" Ships Friday. \"}}]}";

    @BeforeEach
    void start() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/v1/chat/completions", exchange -> {
            lastRequest.set(MAPPER.readTree(exchange.getRequestBody()));
            lastAuthorization.set(exchange.getRequestHeaders().getFirst("Authorization"));
            byte[] body = answer.getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(status, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
    }

    @AfterEach
    void stop() {
        server.stop(0);
    }

    private ChatSummarizer summarizer() {
        return new ChatSummarizer("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/", "tiny", "k-123",
                Duration.ofSeconds(5));
    }

    @Test
    void sendsTheTextsAndTheExtractivePicksAndReturnsTheAnswer() {
        String summary = summarizer().summarize(List.of("The project ships on Friday.", "Lunch was pizza."),
                "The project ships on Friday.");

        assertThat(summary).isEqualTo("Ships Friday.");
        JsonNode request = lastRequest.get();
        assertThat(request.path("model").asText()).isEqualTo("tiny");
        assertThat(request.path("messages").get(0).path("role").asText()).isEqualTo("system");
        assertThat(request.path("messages").get(1).path("content").asText()).contains("Lunch was pizza.")
                .contains("Key sentences already picked: The project ships on Friday.");
        assertThat(lastAuthorization.get()).isEqualTo("Bearer k-123");
    }

    @Test
    void aServerErrorIsTransientAndARefusalIsPermanent() {
        status = 503;
        answer = "{}";
        assertThatThrownBy(() -> summarizer().summarize(List.of("a"), "a"))
                .isInstanceOf(TransientJobException.class).hasMessageContaining("503");

        status = 400;
        answer = "{\"error\":{\"message\":\"context too long\"}}";
        assertThatThrownBy(() -> summarizer().summarize(List.of("a"), "a"))
                .isInstanceOf(PermanentJobException.class).hasMessageContaining("context too long");
    }

    @Test
    void anAnswerWithoutContentIsTransient() {
        answer = "{\"choices\":[]}";
        assertThatThrownBy(() -> summarizer().summarize(List.of("a"), "a"))
                .isInstanceOf(TransientJobException.class).hasMessageContaining("without a summary");
    }

    @Test
    void anUnreachableEndpointIsTransient() {
        ChatSummarizer nowhere = new ChatSummarizer("http://127.0.0.1:1/v1", "tiny", null, Duration.ofSeconds(2));
        assertThatThrownBy(() -> nowhere.summarize(List.of("a"), "a")).isInstanceOf(TransientJobException.class);
    }
}
