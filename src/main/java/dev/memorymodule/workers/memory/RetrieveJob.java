package dev.memorymodule.workers.memory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import dev.memorymodule.workers.embed.EmbedJob;
import dev.memorymodule.workers.embed.EmbeddingModel;
import dev.memorymodule.workers.embed.ModelRegistry;
import dev.memorymodule.workers.embed.Priority;
import dev.memorymodule.workers.jetstream.JetStreamConstants;
import dev.memorymodule.workers.job.JobHeaders;
import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.ValidatedJob;
import dev.memorymodule.workers.vector.TenantFilter;
import dev.memorymodule.workers.vector.VectorHit;
import dev.memorymodule.workers.vector.VectorStore;
import org.apache.camel.Exchange;

/**
 * The {@code retrieve} job: embeds the query and returns the nearest memories of the job's tenant, narrowed by
 * its workspace and scope when given. The search is filtered by org inside the vector store; no hit of another
 * org can come back.
 * <p>
 * {@code input.top_k} (an extension of the job schema: integer 1 to {@link #MAX_TOP_K}, default
 * {@link #DEFAULT_TOP_K}) sets how many hits. An online job with {@code requirements.max_latency_ms} gets its
 * answer within that time, counted from when the job was stored in the stream, or fails fast saying so.
 */
public class RetrieveJob {

    public static final int DEFAULT_TOP_K = 5;
    public static final int MAX_TOP_K = 100;

    private final ModelRegistry models;
    private final VectorStore vectors;

    public RetrieveJob(ModelRegistry models, VectorStore vectors) {
        this.models = models;
        this.vectors = vectors;
    }

    public void run(Exchange exchange) {
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        LatencyBudget budget = LatencyBudget.of(job, exchange.getIn().getHeader(JetStreamConstants.PUBLISHED_AT,
                Long.class));
        List<String> texts = job.texts();
        if (texts.size() != 1 || texts.get(0).isBlank()) {
            throw new PermanentJobException("a retrieve job takes exactly one non-empty query in input.text; got "
                    + texts.size());
        }
        int topK = topK(job.node().path("input").path("top_k"));
        budget.check("waiting");

        EmbeddingModel model = EmbedJob.resolve(models, job);
        float[] query = model.embed(texts, Priority.ofJob(job.priority())).vector(0);
        budget.check("embedding");
        TenantFilter filter = new TenantFilter(job.orgId(), job.workspaceId(), job.userId(), job.agentId(),
                job.threadId());
        List<VectorHit> hits = vectors.search(model.name(), model.dimensions(), query, filter, topK);
        budget.check("search");

        Map<String, Object> result = new LinkedHashMap<>();
        result.put("model", model.name());
        result.put("vector_store", vectors.kind());
        result.put("top_k", topK);
        result.put("hits", hits(hits));
        exchange.setProperty(JobHeaders.RESULT, result);
    }

    static int topK(JsonNode value) {
        if (value.isMissingNode() || value.isNull()) {
            return DEFAULT_TOP_K;
        }
        if (!value.canConvertToInt() || !value.isIntegralNumber() || value.asInt() < 1 || value.asInt() > MAX_TOP_K) {
            throw new PermanentJobException("input.top_k must be an integer from 1 to " + MAX_TOP_K + "; got "
                    + value);
        }
        return value.asInt();
    }

    private static List<Map<String, Object>> hits(List<VectorHit> hits) {
        List<Map<String, Object>> out = new ArrayList<>(hits.size());
        for (VectorHit hit : hits) {
            Map<String, Object> item = new LinkedHashMap<>();
            item.put("memory_id", hit.memoryId());
            item.put("score", hit.score());
            item.put("text", hit.payload().text());
            item.put("kind", hit.payload().kind());
            Map<String, Object> scope = new LinkedHashMap<>();
            scope.put("workspace_id", hit.payload().workspaceId());
            scope.put("user_id", hit.payload().userId());
            scope.put("agent_id", hit.payload().agentId());
            scope.put("thread_id", hit.payload().threadId());
            item.put("scope", scope);
            out.add(item);
        }
        return out;
    }
}
