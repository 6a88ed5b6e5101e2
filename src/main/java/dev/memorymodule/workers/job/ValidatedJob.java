package dev.memorymodule.workers.job;

import com.fasterxml.jackson.databind.JsonNode;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * A job that passed {@link JobValidator}: the fields a worker reads, taken from the payload once. Optional fields
 * the payload leaves out are {@code null} (or empty, or their schema default), never an error.
 *
 * <p>UUIDs are returned in lowercase, their canonical form, so one tenant or scope never appears under two spellings
 * in the stores. The job id is returned as sent.
 */
public final class ValidatedJob {

    /** Every job type of the job schema. */
    public static final Set<String> TYPES = Set.of("embed", "retrieve", "summarize", "qdrant_upsert", "pg_write",
            "neo4j_write", "index");

    /** A VRAM requirement beyond an int is one no worker meets; keeping it saturated keeps it unmet. */
    private static final int UNMEETABLE_VRAM_GB = Integer.MAX_VALUE;

    private final JsonNode job;
    private final String jobId;
    private final String idempotencyKey;
    private final String type;
    private final String priority;
    private final String orgId;
    private final String workspaceId;
    private final String userId;
    private final String agentId;
    private final String threadId;
    private final String traceId;
    private final Instant createdAt;
    private final Instant deadline;
    private final List<String> texts;
    private final String inputType;
    private final String model;
    private final Integer dims;
    private final boolean needsGpu;
    private final int minVramGb;
    private final String trustZone;
    private final String tier;

    ValidatedJob(JsonNode job, Instant createdAt, Instant deadline) {
        this.job = job;
        this.jobId = text(job.path("job_id"));
        this.idempotencyKey = text(job.path("idempotency_key"));
        this.type = text(job.path("type"));
        this.priority = text(job.path("priority"));

        JsonNode tenant = job.path("tenant");
        this.orgId = uuid(tenant.path("org_id"));
        this.workspaceId = uuid(tenant.path("workspace_id"));

        JsonNode scope = job.path("scope");
        this.userId = uuid(scope.path("user_id"));
        this.agentId = uuid(scope.path("agent_id"));
        this.threadId = uuid(scope.path("thread_id"));
        this.traceId = uuid(job.path("trace").path("trace_id"));

        this.createdAt = createdAt;
        this.deadline = deadline;

        JsonNode input = job.path("input");
        this.texts = texts(input.path("text"));
        this.inputType = text(input.path("input_type"));
        this.model = text(input.path("model"));
        this.dims = input.path("dims").isNumber() ? input.path("dims").intValue() : null;

        JsonNode requirements = job.path("requirements");
        this.needsGpu = requirements.path("needs_gpu").asBoolean(false);
        JsonNode vram = requirements.path("min_vram_gb");
        this.minVramGb = !vram.isNumber() ? 0 : vram.canConvertToInt() ? vram.intValue() : UNMEETABLE_VRAM_GB;
        this.trustZone = text(requirements.path("trust_zone"));
        this.tier = text(requirements.path("tier"));
    }

    /** The job's ULID, as the publisher wrote it. */
    public String jobId() {
        return jobId;
    }

    /** The key (starting {@code sha256:}) under which repeated deliveries of this job have one effect. */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** One of the job types of the schema: embed, retrieve, summarize, qdrant_upsert, pg_write, neo4j_write, index. */
    public String type() {
        return type;
    }

    /** {@code online} or {@code offline}. */
    public String priority() {
        return priority;
    }

    /** The tenant's organisation; every read and write of the job is scoped by it. */
    public String orgId() {
        return orgId;
    }

    /** The tenant's workspace, or {@code null}. */
    public String workspaceId() {
        return workspaceId;
    }

    /** The scope's user, or {@code null}. */
    public String userId() {
        return userId;
    }

    /** The scope's agent, or {@code null}. */
    public String agentId() {
        return agentId;
    }

    /** The scope's thread, or {@code null}. */
    public String threadId() {
        return threadId;
    }

    /** The trace this job belongs to, or {@code null}. */
    public String traceId() {
        return traceId;
    }

    /** When the job was created; always present in a valid job. */
    public Instant createdAt() {
        return createdAt;
    }

    /** After this instant the job is not run; empty when it has no deadline. */
    public Optional<Instant> deadline() {
        return Optional.ofNullable(deadline);
    }

    /** The input texts, in order; empty when the job has none. */
    public List<String> texts() {
        return texts;
    }

    /** What the texts are for ({@code search_query}, {@code search_document}, ...), or {@code null}. */
    public String inputType() {
        return inputType;
    }

    /** The embedding model asked for, or {@code null}. */
    public String model() {
        return model;
    }

    /** The vector size asked for, or {@code null}. */
    public Integer dims() {
        return dims;
    }

    /** Whether only a worker with a GPU may take the job; {@code false} when not said, the schema's default. */
    public boolean needsGpu() {
        return needsGpu;
    }

    /** GPU memory the job needs, in GB; 0 when not said. */
    public int minVramGb() {
        return minVramGb;
    }

    /** The trust zone (A, B or C) a worker must be in, or {@code null}. */
    public String trustZone() {
        return trustZone;
    }

    /** The worker tier (A, B or C) asked for, or {@code null}. */
    public String tier() {
        return tier;
    }

    /**
     * The whole payload as parsed, for the parts that have no accessor. A copy: JSON trees are mutable, and this
     * view must stay as it was validated.
     */
    public JsonNode node() {
        return job.deepCopy();
    }

    @Override
    public String toString() {
        // no texts: they are the tenant's data and this string ends up in logs
        return "ValidatedJob[jobId=" + jobId + ", type=" + type + ", priority=" + priority + ", orgId=" + orgId + "]";
    }

    private static String text(JsonNode value) {
        return value.isTextual() ? value.textValue() : null;
    }

    private static String uuid(JsonNode value) {
        return value.isTextual() ? value.textValue().toLowerCase(Locale.ROOT) : null;
    }

    private static List<String> texts(JsonNode array) {
        if (!array.isArray()) {
            return List.of();
        }
        List<String> texts = new ArrayList<>(array.size());
        for (JsonNode item : array) {
            texts.add(item.textValue());
        }
        return List.copyOf(texts);
    }
}
