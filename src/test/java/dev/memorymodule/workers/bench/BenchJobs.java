package dev.memorymodule.workers.bench;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.UUID;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.testsupport.WorkerHarness;

/**
 * The jobs and texts a benchmark sends, made from the shared case jobs with fresh ids, and texts that read like agent
 * memories: one or two clauses, 10 to 30 tokens, the same for every run of the same seed.
 */
final class BenchJobs {

    private static final String[] SUBJECTS = {"The user", "The agent", "Our team", "The customer", "Maria",
        "The support lead", "The new hire", "The project owner"};
    private static final String[] VERBS = {"prefers", "asked about", "complained about", "scheduled", "forgot",
        "wants to cancel", "is reviewing", "mentioned"};
    private static final String[] OBJECTS = {"green tea in the morning", "the quarterly storage budget",
        "a meeting on Thursday at ten", "the invoice from last March", "the flight to Lisbon",
        "the vector index rebuild", "a refund for the broken headphones", "the onboarding checklist",
        "dark mode in the dashboard", "the database migration plan"};
    private static final String[] TAILS = {"", "", " because the deadline moved",
        " and would like an answer by Friday", " after the last incident review", " for the second time this week"};

    private final Random random;

    BenchJobs(long seed) {
        this.random = new Random(seed);
    }

    /** A memory-like sentence. */
    String text() {
        return SUBJECTS[random.nextInt(SUBJECTS.length)] + " " + VERBS[random.nextInt(VERBS.length)] + " "
                + OBJECTS[random.nextInt(OBJECTS.length)] + TAILS[random.nextInt(TAILS.length)] + ".";
    }

    List<String> texts(int count) {
        List<String> texts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            texts.add(text());
        }
        return texts;
    }

    /** An online embed job of the given texts. */
    ObjectNode embed(List<String> texts) throws IOException {
        ObjectNode job = WorkerHarness.fresh(WorkerHarness.caseTree("03-retrieve-same-org.json"));
        job.put("type", "embed");
        ObjectNode input = (ObjectNode) job.path("input");
        input.put("input_type", "search_document");
        setTexts(input, texts);
        ((ObjectNode) job.path("requirements")).remove("max_latency_ms");
        return job;
    }

    /** An offline index job storing the given texts as memories of {@code orgId}. */
    ObjectNode index(String orgId, List<String> texts) throws IOException {
        ObjectNode job = WorkerHarness.fresh(WorkerHarness.caseTree("02-index-three-memories.json"));
        ((ObjectNode) job.path("tenant")).put("org_id", orgId);
        setTexts((ObjectNode) job.path("input"), texts);
        ((ObjectNode) job.path("refs")).put("event_id", UUID.randomUUID().toString());
        return job;
    }

    /** An online retrieve job over {@code orgId}'s memories, with no latency limit, so every one is answered. */
    ObjectNode retrieve(String orgId, String query) throws IOException {
        ObjectNode job = WorkerHarness.fresh(WorkerHarness.caseTree("03-retrieve-same-org.json"));
        ((ObjectNode) job.path("tenant")).put("org_id", orgId);
        setTexts((ObjectNode) job.path("input"), List.of(query));
        ((ObjectNode) job.path("requirements")).remove("max_latency_ms");
        return job;
    }

    static List<String> ids(List<? extends com.fasterxml.jackson.databind.JsonNode> jobs) {
        return jobs.stream().map(job -> job.path("job_id").asText()).toList();
    }

    private static void setTexts(ObjectNode input, List<String> texts) {
        ArrayNode array = input.putArray("text");
        texts.forEach(array::add);
    }
}
