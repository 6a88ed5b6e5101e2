package dev.memorymodule.workers.faults;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.stream.IntStream;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.f4b6a3.ulid.UlidCreator;

/**
 * Writes the jobs of a fault run as a publisher would: valid by the schema, on a few tenants that share workspace,
 * user, agent and thread ids among themselves, with short English texts drawn from a fixed vocabulary so the
 * embedding stays cheap.
 */
final class JobBuilder {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int ORGS = 3;
    private static final int SCOPE_IDS = 6;
    private static final String[] SUBJECTS = {"The user", "Alice", "Bob", "The team", "The customer", "Our agent"};
    private static final String[] VERBS = {"prefers", "asked about", "dislikes", "scheduled", "mentioned",
        "wants to change"};
    private static final String[] OBJECTS = {"green tea in the morning", "the Friday release", "a window seat",
        "the quarterly report", "meetings before noon", "the staging database", "dark mode", "the new pricing"};
    private static final String[] WHEN = {"today", "last week", "every Monday", "since March", "after lunch"};
    private static final Duration EXPIRED_AGE = Duration.ofMinutes(10);

    private final Random random;
    private final List<String> orgs;
    private final List<String> scopeIds;

    JobBuilder(long seed) {
        this.random = new Random(seed);
        this.orgs = ids("org", seed, ORGS);
        this.scopeIds = ids("scope", seed, SCOPE_IDS);
    }

    /** A valid job of this type, ready to run. */
    ObjectNode valid(String type) {
        ObjectNode job = MAPPER.createObjectNode();
        String jobId = UlidCreator.getMonotonicUlid().toString();
        job.put("job_id", jobId);
        job.put("idempotency_key", "sha256:" + UUID.nameUUIDFromBytes(jobId.getBytes(StandardCharsets.UTF_8))
                .toString().replace("-", ""));
        job.put("type", type);
        job.put("priority", priority(type));
        ObjectNode tenant = job.putObject("tenant");
        tenant.put("org_id", pick(orgs));
        tenant.put("workspace_id", pick(scopeIds));
        ObjectNode scope = job.putObject("scope");
        scope.put("user_id", pick(scopeIds));
        scope.put("agent_id", pick(scopeIds));
        scope.put("thread_id", pick(scopeIds));
        ObjectNode input = job.putObject("input");
        ArrayNode texts = input.putArray("text");
        switch (type) {
            case "retrieve" -> {
                texts.add("What does " + pick(SUBJECTS).toLowerCase() + " think about " + pick(OBJECTS) + "?");
                input.put("input_type", "search_query");
                input.put("top_k", 5);
            }
            case "summarize" -> {
                for (int i = 3 + random.nextInt(2); i > 0; i--) {
                    texts.add(sentence() + " " + sentence());
                }
                input.put("max_sentences", 2);
            }
            default -> {
                for (int i = 1 + random.nextInt(3); i > 0; i--) {
                    texts.add(sentence());
                }
                input.put("input_type", "search_document");
            }
        }
        if (random.nextInt(4) == 0) {
            job.putObject("refs").put("event_id", pick(scopeIds));
        }
        job.putObject("trace").put("trace_id", UUID.randomUUID().toString());
        job.putObject("timestamps").put("created_at", Instant.now().toString());
        return job;
    }

    /** A valid job whose deadline passed before it was published. */
    ObjectNode expired(String type) {
        ObjectNode job = valid(type);
        Instant created = Instant.now().minus(EXPIRED_AGE);
        ObjectNode timestamps = (ObjectNode) job.path("timestamps");
        timestamps.put("created_at", created.toString());
        timestamps.put("deadline", created.plus(EXPIRED_AGE.dividedBy(2)).toString());
        return job;
    }

    /** The same job published again, as after the server's duplicate window: a new job id, the same key. */
    static ObjectNode duplicateOf(ObjectNode original) {
        ObjectNode copy = original.deepCopy();
        copy.put("job_id", UlidCreator.getMonotonicUlid().toString());
        return copy;
    }

    /** One of a few ways a publisher gets a job wrong; each is dead-lettered without running. */
    byte[] invalid(int variant) throws Exception {
        ObjectNode job = valid("pg_write");
        switch (variant % 5) {
            case 0 -> job.put("job_id", "not-a-ulid-" + random.nextInt(1_000_000));
            case 1 -> job.remove("tenant");
            case 2 -> ((ObjectNode) job.path("tenant")).put("org_id", "org-" + random.nextInt(1000));
            case 3 -> job.put("type", "teleport");
            default -> {
                String truncated = "{\"job_id\": \"" + job.path("job_id").asText() + "\", broken";
                return truncated.getBytes(StandardCharsets.UTF_8);
            }
        }
        return MAPPER.writeValueAsBytes(job);
    }

    static byte[] bytes(ObjectNode job) throws Exception {
        return MAPPER.writeValueAsBytes(job);
    }

    private String priority(String type) {
        return switch (type) {
            case "embed", "retrieve" -> "online";
            case "index", "summarize" -> "offline";
            // store writes go to their own lane whatever their priority
            default -> random.nextBoolean() ? "online" : "offline";
        };
    }

    private String sentence() {
        return pick(SUBJECTS) + " " + pick(VERBS) + " " + pick(OBJECTS) + " " + pick(WHEN) + ".";
    }

    private <T> T pick(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private String pick(String[] values) {
        return values[random.nextInt(values.length)];
    }

    private static List<String> ids(String what, long seed, int count) {
        return IntStream.range(0, count)
                .mapToObj(i -> UUID.nameUUIDFromBytes((what + "|" + seed + "|" + i).getBytes(StandardCharsets.UTF_8))
                        .toString())
                .toList();
    }
}
