package dev.memorymodule.workers.client;

import java.util.Locale;
import java.util.Set;
import java.util.regex.Pattern;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * Where a job is published. The subject carries what consumers filter on, so the server does the capability
 * routing: {@code mm.<lane>.<type>.<trust zone>.<gpu|cpu>}, where the lane is {@code write} for store writes and
 * the job's priority otherwise. The {@code Nats-Msg-Id} is the idempotency key within its org, so the server drops
 * a re-publish inside its duplicate window.
 */
public final class JobSubjects {

    /** Job types that only write to a store; they have a stream of their own. */
    public static final Set<String> WRITE_TYPES = Set.of("qdrant_upsert", "pg_write", "neo4j_write");
    /** Token for a trust zone the job does not name. */
    public static final String ANY_ZONE = "any";
    private static final Pattern SAFE_TOKEN = Pattern.compile("[a-z0-9_]{1,32}");

    private JobSubjects() {
    }

    public static String subject(JsonNode job) {
        String type = token(job.path("type").asText(""), "unknown");
        String lane = WRITE_TYPES.contains(type) ? "write" : token(job.path("priority").asText(""), "online");
        JsonNode requirements = job.path("requirements");
        String zone = requirements.path("trust_zone").isTextual()
                ? requirements.path("trust_zone").asText().toUpperCase(Locale.ROOT) : ANY_ZONE;
        if (!zone.matches("[A-Z]") && !ANY_ZONE.equals(zone)) {
            zone = ANY_ZONE;
        }
        String device = requirements.path("needs_gpu").asBoolean(false) ? "gpu" : "cpu";
        return "mm." + lane + "." + type + "." + zone + "." + device;
    }

    /**
     * The de-duplication id for the server: {@code <org_id>:<idempotency_key>}, or null when the job has no key.
     * The key alone would do for one publisher, but keys are unique within an org only, and the server's window is
     * shared by every org: two orgs using the same key inside it would have the second org's job dropped. A job
     * without an org id is invalid and gets the key alone; the worker dead-letters it either way.
     */
    public static String msgId(JsonNode job) {
        JsonNode key = job.path("idempotency_key");
        if (!key.isTextual() || key.asText().isBlank()) {
            return null;
        }
        JsonNode org = job.path("tenant").path("org_id");
        return org.isTextual() && !org.asText().isBlank()
                ? org.asText().toLowerCase(Locale.ROOT) + ":" + key.asText() : key.asText();
    }

    // a token that is not a plain word (a hostile or broken job) must not change the subject's shape
    private static String token(String value, String fallback) {
        String lower = value.toLowerCase(Locale.ROOT);
        return SAFE_TOKEN.matcher(lower).matches() ? lower : fallback;
    }
}
