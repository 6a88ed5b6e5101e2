package dev.memorymodule.workers.faults;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobSubjects;
import dev.memorymodule.workers.faults.PlannedJob.Kind;

/**
 * The load of a fault run: jobs of all seven types, with a share of invalid ones, ones past their deadline and
 * duplicates of earlier jobs (the same idempotency key under a new job id, as a publisher sends after the server's
 * duplicate window). The same seed gives the same mix.
 */
final class JobMix {

    /** Job types and their weight in the valid share; the store-writing types weigh most. */
    private static final String[] TYPES = {"embed", "retrieve", "summarize", "index", "pg_write", "neo4j_write",
        "qdrant_upsert"};
    private static final int[] TYPE_WEIGHTS = {15, 12, 8, 16, 17, 16, 16};
    /** Percent of the load that is invalid, expired or a duplicate; the rest is valid. */
    private static final int INVALID_PERCENT = 4;
    private static final int EXPIRED_PERCENT = 3;
    private static final int DUPLICATE_PERCENT = 4;
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private JobMix() {
    }

    static List<PlannedJob> plan(int jobs, long seed) throws Exception {
        Random random = new Random(seed);
        JobBuilder builder = new JobBuilder(seed);
        List<PlannedJob> plan = new ArrayList<>(jobs);
        List<ObjectNode> originals = new ArrayList<>();
        int invalid = 0;
        for (int i = 0; i < jobs; i++) {
            int roll = random.nextInt(100);
            String msgId = "load:" + i;
            if (roll < INVALID_PERCENT) {
                byte[] payload = builder.invalid(invalid++);
                plan.add(new PlannedJob(i, Kind.INVALID, "pg_write", null, null, null, 0, subjectOf(payload), msgId,
                        payload));
            } else if (roll < INVALID_PERCENT + EXPIRED_PERCENT) {
                plan.add(planned(i, Kind.EXPIRED, builder.expired(type(random)), msgId));
            } else if (roll < INVALID_PERCENT + EXPIRED_PERCENT + DUPLICATE_PERCENT && !originals.isEmpty()) {
                ObjectNode original = originals.get(random.nextInt(originals.size()));
                plan.add(planned(i, Kind.DUPLICATE, JobBuilder.duplicateOf(original), msgId));
            } else {
                ObjectNode job = builder.valid(type(random));
                originals.add(job);
                plan.add(planned(i, Kind.VALID, job, msgId));
            }
        }
        return plan;
    }

    private static PlannedJob planned(int index, Kind kind, ObjectNode job, String msgId) throws Exception {
        String type = job.path("type").asText();
        int texts = "summarize".equals(type) ? 1 : job.path("input").path("text").size();
        return new PlannedJob(index, kind, type, job.path("job_id").asText(), job.path("idempotency_key").asText(),
                job.path("tenant").path("org_id").asText(), texts, JobSubjects.subject(job), msgId,
                JobBuilder.bytes(job));
    }

    private static String type(Random random) {
        int total = 0;
        for (int weight : TYPE_WEIGHTS) {
            total += weight;
        }
        int roll = random.nextInt(total);
        for (int i = 0; i < TYPES.length; i++) {
            roll -= TYPE_WEIGHTS[i];
            if (roll < 0) {
                return TYPES[i];
            }
        }
        throw new IllegalStateException("weights do not add up");
    }

    /** Where a client would publish these bytes; what is not JSON goes to the online lane as an embed job. */
    private static String subjectOf(byte[] payload) {
        try {
            JsonNode tree = MAPPER.readTree(payload);
            return JobSubjects.subject(tree.isObject() ? tree : MAPPER.createObjectNode());
        } catch (Exception e) {
            return JobSubjects.subject(MAPPER.createObjectNode().put("type", "embed"));
        }
    }
}
