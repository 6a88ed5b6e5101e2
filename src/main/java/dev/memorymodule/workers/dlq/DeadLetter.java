package dev.memorymodule.workers.dlq;

import java.time.Instant;
import java.util.Optional;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.memorymodule.workers.job.DeadLetters;
import io.nats.client.impl.Headers;

/**
 * One message of the dead-letter stream: the job exactly as it was published, and the headers the worker added to
 * say why it ended here and where it came from.
 *
 * @param sequence its sequence in the dead-letter stream, the number operators name it by
 * @param time     when it was dead-lettered
 * @param subject  its subject in the dead-letter stream, {@code <prefix>.<lane>.<type>}
 * @param headers  its NATS headers; never null
 * @param data     the job's bytes as published; never null
 */
public record DeadLetter(long sequence, Instant time, String subject, Headers headers, byte[] data) {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    public DeadLetter {
        headers = headers == null ? new Headers() : headers;
        data = data == null ? new byte[0] : data;
    }

    public String reason() {
        return header(DeadLetters.HEADER_REASON).orElse("");
    }

    /** {@code dead_lettered} (rejected without running) or {@code failed} (ran and failed for good). */
    public String outcome() {
        return header(DeadLetters.HEADER_OUTCOME).orElse("");
    }

    public Optional<String> sourceStream() {
        return header(DeadLetters.HEADER_STREAM);
    }

    /** The subject the job was first published on, where a replay sends it again. */
    public Optional<String> sourceSubject() {
        return header(DeadLetters.HEADER_SUBJECT);
    }

    public Optional<String> deliveries() {
        return header(DeadLetters.HEADER_DELIVERIES);
    }

    /**
     * The job id the worker validated, or else the one the payload claims: an invalid job has no validated id, but
     * the id it claims is still what its publisher knows it by.
     */
    public Optional<String> jobId() {
        Optional<String> validated = header(DeadLetters.HEADER_JOB_ID);
        if (validated.isPresent()) {
            return validated;
        }
        try {
            JsonNode claimed = MAPPER.readTree(data).path("job_id");
            return claimed.isTextual() ? Optional.of(claimed.asText()) : Optional.empty();
        } catch (Exception e) {
            // not JSON: the job has no id anyone can read
            return Optional.empty();
        }
    }

    private Optional<String> header(String name) {
        String value = headers.getFirst(name);
        return value == null || value.isEmpty() ? Optional.empty() : Optional.of(value);
    }
}
