package dev.memorymodule.workers.memory;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import dev.memorymodule.workers.embed.EmbedJob;
import dev.memorymodule.workers.embed.ModelRegistry;
import dev.memorymodule.workers.embed.Priority;
import dev.memorymodule.workers.embed.TextLimits;
import dev.memorymodule.workers.graph.GraphStore;
import dev.memorymodule.workers.graph.MemoryGraphBatch;
import dev.memorymodule.workers.job.JobHeaders;
import dev.memorymodule.workers.job.ValidatedJob;
import dev.memorymodule.workers.store.MemoryIds;
import dev.memorymodule.workers.store.MemoryStore;
import dev.memorymodule.workers.vector.MemoryPayload;
import dev.memorymodule.workers.vector.QdrantPoints;
import dev.memorymodule.workers.vector.QdrantVectorStore;
import dev.memorymodule.workers.vector.VectorPoint;
import dev.memorymodule.workers.vector.VectorStore;
import org.apache.camel.Exchange;

/**
 * The steps that write memories, one bean method per step so a route shows which stores a job type touches:
 * {@code prepare}, then any of {@code writeRows}, {@code embed}, {@code upsertVectors}, {@code writeGraph}, then
 * {@code result}. Every step is idempotent on its own, so a job redelivered after a partial failure completes
 * without doubling anything.
 */
public class MemoryJobs {

    /** Exchange property holding the {@link MemoryBatch} of the job. */
    static final String BATCH = "mm.memoryBatch";
    /** Header naming the Qdrant collection for camel-qdrant's endpoint. */
    public static final String QDRANT_COLLECTION = "MmQdrantCollection";
    /** Exchange property accumulating what the steps did, for the result. */
    static final String DONE = "mm.memoryDone";

    private final MemoryStore rows;
    private final ModelRegistry models;
    private final VectorStore vectors;
    private final GraphStore graph;
    private final TextLimits limits;

    public MemoryJobs(MemoryStore rows, ModelRegistry models, VectorStore vectors, GraphStore graph,
                      TextLimits limits) {
        this.rows = rows;
        this.models = models;
        this.vectors = vectors;
        this.graph = graph;
        this.limits = limits;
    }

    /** The job's texts become memories of kind {@code memory}, each with its id. */
    public void prepare(Exchange exchange) {
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        List<String> texts = limits.check(job.texts());
        start(exchange, job, "memory", texts);
    }

    /** Starts a batch of given texts, as a summary writes its one text. */
    static MemoryBatch start(Exchange exchange, ValidatedJob job, String kind, List<String> texts) {
        List<UUID> ids = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            ids.add(MemoryIds.of(job.orgId(), job.idempotencyKey(), i));
        }
        MemoryBatch batch = new MemoryBatch(job, kind, texts, ids);
        exchange.setProperty(BATCH, batch);
        Map<String, Object> done = new LinkedHashMap<>();
        done.put("memory_ids", ids);
        exchange.setProperty(DONE, done);
        return batch;
    }

    public void writeRows(Exchange exchange) {
        MemoryBatch batch = batch(exchange);
        MemoryStore.WriteResult written = rows.write(batch.job, batch.texts, batch.kind);
        done(exchange).put("rows_written", written.inserted());
    }

    public void embed(Exchange exchange) {
        MemoryBatch batch = batch(exchange);
        batch.model = EmbedJob.resolve(models, batch.job);
        batch.vectors = batch.model.embed(batch.texts, Priority.ofJob(batch.job.priority())).vectors();
        done(exchange).put("model", batch.model.name());
        done(exchange).put("dims", batch.model.dimensions());
    }

    public void upsertVectors(Exchange exchange) {
        MemoryBatch batch = batch(exchange);
        if (batch.vectors == null) {
            throw new IllegalStateException("upsertVectors needs the embed step first");
        }
        String model = batch.model.name();
        int dims = batch.model.dimensions();
        vectors.ensureCollection(model, dims);
        vectors.upsert(model, dims, points(batch));
        done(exchange).put("vector_store", vectors.kind());
        done(exchange).put("vectors_upserted", batch.ids.size());
    }

    /**
     * Makes the body the points as camel-qdrant's UPSERT takes them, in the collection named by the header
     * {@link #QDRANT_COLLECTION}, after creating the collection and its payload indexes where missing (which
     * camel-qdrant cannot do).
     */
    public void qdrantPoints(Exchange exchange) {
        MemoryBatch batch = batch(exchange);
        if (!(vectors instanceof QdrantVectorStore)) {
            throw new IllegalStateException("qdrantPoints needs mm.vector.backend = qdrant, not " + vectors.kind());
        }
        vectors.ensureCollection(batch.model.name(), batch.model.dimensions());
        exchange.getIn().setHeader(QDRANT_COLLECTION,
                QdrantPoints.collectionName(batch.model.name(), batch.model.dimensions()));
        exchange.getIn().setBody(QdrantPoints.toPointStructs(points(batch)));
    }

    /** Records that camel-qdrant stored the points (it waits for the write). */
    public void qdrantUpserted(Exchange exchange) {
        done(exchange).put("vector_store", "qdrant");
        done(exchange).put("vectors_upserted", batch(exchange).ids.size());
    }

    public void writeGraph(Exchange exchange) {
        MemoryBatch batch = batch(exchange);
        ValidatedJob job = batch.job;
        List<MemoryGraphBatch.Memory> memories = new ArrayList<>(batch.texts.size());
        for (int i = 0; i < batch.texts.size(); i++) {
            memories.add(new MemoryGraphBatch.Memory(batch.ids.get(i).toString(), batch.texts.get(i), batch.kind,
                    job.jobId(), job.createdAt(), i));
        }
        String eventId = job.node().path("refs").path("event_id").asText(null);
        GraphStore.WriteResult written = graph.writeMemories(new MemoryGraphBatch(job.orgId(), job.workspaceId(),
                job.userId(), job.agentId(), job.threadId(), eventId == null ? null : eventId.toLowerCase(),
                memories));
        Map<String, Object> graphDone = new LinkedHashMap<>();
        graphDone.put("memories", written.memories());
        graphDone.put("nodes_created", written.nodesCreated());
        graphDone.put("relationships_created", written.relationshipsCreated());
        done(exchange).put("graph", graphDone);
    }

    /** What the steps did becomes the job's result. */
    public void result(Exchange exchange) {
        exchange.setProperty(JobHeaders.RESULT, new LinkedHashMap<>(done(exchange)));
    }

    private static List<VectorPoint> points(MemoryBatch batch) {
        ValidatedJob job = batch.job;
        String createdAt = job.createdAt().toString();
        List<VectorPoint> points = new ArrayList<>(batch.ids.size());
        for (int i = 0; i < batch.ids.size(); i++) {
            String id = batch.ids.get(i).toString();
            points.add(new VectorPoint(batch.ids.get(i), batch.vectors[i], new MemoryPayload(job.orgId(),
                    job.workspaceId(), job.userId(), job.agentId(), job.threadId(), id, batch.texts.get(i),
                    batch.kind, job.jobId(), createdAt)));
        }
        return points;
    }

    static MemoryBatch batch(Exchange exchange) {
        MemoryBatch batch = exchange.getProperty(BATCH, MemoryBatch.class);
        if (batch == null) {
            throw new IllegalStateException("no memory batch: the prepare step must run first");
        }
        return batch;
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> done(Exchange exchange) {
        return exchange.getProperty(DONE, Map.class);
    }
}
