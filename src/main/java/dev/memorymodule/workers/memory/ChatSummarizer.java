package dev.memorymodule.workers.memory;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.TransientJobException;

/**
 * Abstractive summaries from an OpenAI-compatible chat endpoint ({@code POST <base>/chat/completions}), used by the
 * summarize job only when {@code mm.summarize.chat.url} is set. The model sees the texts and the extractive summary
 * the worker already made, and answers with a short summary in the texts' language.
 */
public final class ChatSummarizer {

    private static final String SYSTEM_PROMPT = "You summarize an AI agent's memories. Answer with a short, factual "
            + "summary of the texts, in their language, without preamble.";

    private final HttpClient http;
    private final URI endpoint;
    private final String model;
    private final String apiKey;
    private final Duration timeout;
    private final ObjectMapper mapper = new ObjectMapper();

    /**
     * @param baseUrl the API base, e.g. {@code http://llm:8000/v1}
     * @param model   the model name the endpoint expects
     * @param apiKey  bearer token, or null
     * @param timeout how long one request may take
     */
    public ChatSummarizer(String baseUrl, String model, String apiKey, Duration timeout) {
        this.http = HttpClient.newBuilder().connectTimeout(timeout).build();
        this.endpoint = URI.create(baseUrl.replaceAll("/+$", "") + "/chat/completions");
        this.model = model;
        this.apiKey = apiKey;
        this.timeout = timeout;
    }

    public String summarize(List<String> texts, String extractive) {
        ObjectNode request = mapper.createObjectNode();
        request.put("model", model);
        request.put("temperature", 0);
        var messages = request.putArray("messages");
        messages.addObject().put("role", "system").put("content", SYSTEM_PROMPT);
        messages.addObject().put("role", "user").put("content", "Texts:\n- " + String.join("\n- ", texts)
                + "\n\nKey sentences already picked: " + extractive);
        HttpRequest.Builder http = HttpRequest.newBuilder(endpoint).timeout(timeout)
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(request.toString()));
        if (apiKey != null && !apiKey.isBlank()) {
            http.header("Authorization", "Bearer " + apiKey);
        }
        HttpResponse<String> response;
        try {
            response = this.http.send(http.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new TransientJobException("chat endpoint " + endpoint + " unreachable: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TransientJobException("interrupted while waiting for the chat endpoint", e);
        }
        int status = response.statusCode();
        if (status == 429 || status >= 500) {
            throw new TransientJobException("chat endpoint answered " + status + "; retry later");
        }
        if (status != 200) {
            throw new PermanentJobException("chat endpoint refused the summary request: " + status + " "
                    + abbreviate(response.body()));
        }
        try {
            JsonNode content = mapper.readTree(response.body()).path("choices").path(0).path("message")
                    .path("content");
            if (!content.isTextual() || content.asText().isBlank()) {
                throw new TransientJobException("chat endpoint answered without a summary");
            }
            return content.asText().strip();
        } catch (IOException e) {
            throw new TransientJobException("chat endpoint answered something that is not JSON", e);
        }
    }

    private static String abbreviate(String body) {
        return body.length() <= 300 ? body : body.substring(0, 300) + "...";
    }
}
