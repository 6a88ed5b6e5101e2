package dev.memorymodule.workers.vector;

import java.util.List;

/**
 * Where memory vectors live: Qdrant in production, or Neo4j's vector index where no Qdrant runs. One collection
 * (or index) per model and dimension count. Every read is filtered by the tenant's org, always, in the store
 * itself: no call can return another org's points.
 */
public interface VectorStore extends AutoCloseable {

    /** Short name for logs and events: {@code qdrant} or {@code neo4j}. */
    String kind();

    /** Creates the collection for this model and dimension count, with its payload indexes, where missing. */
    void ensureCollection(String model, int dims);

    /**
     * Writes the points in one batch, waiting until they are searchable. Ids are deterministic, so writing the same
     * points again overwrites them instead of adding copies.
     */
    void upsert(String model, int dims, List<VectorPoint> points);

    /** The nearest points to {@code query} inside the filter, best first, at most {@code topK}. */
    List<VectorHit> search(String model, int dims, float[] query, TenantFilter filter, int topK);

    /**
     * Prepares the collection of a model and runs searches that cannot match (the nil org), so the first jobs find
     * the schema in place and the search path compiled (the first search on a fresh Neo4j took about 1 s here, the
     * second about 300 ms, later ones 30 to 50 ms) instead of paying for it inside their latency budget.
     */
    default void warmUp(String model, int dims, int searches) {
        ensureCollection(model, dims);
        float[] probe = new float[dims];
        for (int i = 0; i < searches; i++) {
            probe[i % dims] = 1f;
            search(model, dims, probe, TenantFilter.org(NIL_ORG), 5);
        }
    }

    /** An org id no tenant has; warm-up searches use it. */
    String NIL_ORG = "00000000-0000-0000-0000-000000000000";

    /** How many points match the filter; for checks and tests. */
    long count(String model, int dims, TenantFilter filter);

    @Override
    void close();
}
