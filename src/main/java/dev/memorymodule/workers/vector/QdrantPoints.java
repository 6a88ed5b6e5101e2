package dev.memorymodule.workers.vector;

import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.ValueFactory.value;
import static io.qdrant.client.VectorsFactory.vectors;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.ScoredPoint;

/**
 * How memories look in Qdrant: collection names, points with their payload, and the tenant filter. Shared by
 * {@link QdrantVectorStore} and by routes that write through camel-qdrant, so both store the same shape.
 *
 * <p>The list from {@link #toPointStructs(List)} is exactly the body camel-qdrant's {@code UPSERT} action takes,
 * so a route can write memories without this project's store:
 * <pre>{@code
 * template.send("qdrant:" + QdrantPoints.collectionName(model, dims) + "?host=qdrant&port=6334", exchange -> {
 *     exchange.getMessage().setHeader(QdrantHeaders.ACTION, QdrantAction.UPSERT);
 *     exchange.getMessage().setBody(QdrantPoints.toPointStructs(points));
 * });
 * }</pre>
 */
public final class QdrantPoints {

    public static final String ORG_ID = "org_id";
    public static final String WORKSPACE_ID = "workspace_id";
    public static final String USER_ID = "user_id";
    public static final String AGENT_ID = "agent_id";
    public static final String THREAD_ID = "thread_id";
    public static final String MEMORY_ID = "memory_id";
    public static final String TEXT = "text";
    public static final String KIND = "kind";
    public static final String JOB_ID = "job_id";
    public static final String CREATED_AT = "created_at";

    /** Payload fields with a keyword index: every field a search or count filters on. */
    public static final List<String> INDEXED_FIELDS = List.of(ORG_ID, WORKSPACE_ID, USER_ID, AGENT_ID, THREAD_ID,
            KIND);

    private static final String COLLECTION_PREFIX = "mm_";
    private static final Pattern NOT_NAME_SAFE = Pattern.compile("[^a-z0-9]+");

    private QdrantPoints() {
    }

    /**
     * The collection for a model and dimension count: {@code mm_<model>_<dims>}, the model name lower-cased with
     * every run of other characters than letters and digits turned into one underscore. Two model names that
     * differ only in punctuation ({@code bge-m3}, {@code bge.m3}) share a collection when their dims agree.
     */
    public static String collectionName(String model, int dims) {
        Objects.requireNonNull(model, "model");
        if (dims <= 0) {
            throw new IllegalArgumentException("dims must be positive: " + dims);
        }
        String safe = NOT_NAME_SAFE.matcher(model.toLowerCase(Locale.ROOT)).replaceAll("_");
        safe = safe.replaceAll("^_+|_+$", "");
        if (safe.isEmpty()) {
            throw new IllegalArgumentException("model name has no letters or digits: '" + model + "'");
        }
        return COLLECTION_PREFIX + safe + "_" + dims;
    }

    /** Points for one upsert, ids and payload as given; the body camel-qdrant's {@code UPSERT} expects. */
    public static List<PointStruct> toPointStructs(List<VectorPoint> points) {
        List<PointStruct> structs = new ArrayList<>(points.size());
        for (VectorPoint point : points) {
            structs.add(toPointStruct(point));
        }
        return structs;
    }

    public static PointStruct toPointStruct(VectorPoint point) {
        Objects.requireNonNull(point.id(), "point id");
        Objects.requireNonNull(point.vector(), "point vector");
        return PointStruct.newBuilder()
                .setId(id(point.id()))
                .setVectors(vectors(point.vector()))
                .putAllPayload(toPayload(point.payload()))
                .build();
    }

    /** The payload map; null fields are left out, so a filter on them never matches by accident. */
    public static Map<String, Value> toPayload(MemoryPayload payload) {
        Objects.requireNonNull(payload, "payload");
        Objects.requireNonNull(payload.orgId(), "a stored memory always names its org");
        Map<String, Value> map = new LinkedHashMap<>();
        putIfSet(map, ORG_ID, payload.orgId());
        putIfSet(map, WORKSPACE_ID, payload.workspaceId());
        putIfSet(map, USER_ID, payload.userId());
        putIfSet(map, AGENT_ID, payload.agentId());
        putIfSet(map, THREAD_ID, payload.threadId());
        putIfSet(map, MEMORY_ID, payload.memoryId());
        putIfSet(map, TEXT, payload.text());
        putIfSet(map, KIND, payload.kind());
        putIfSet(map, JOB_ID, payload.jobId());
        putIfSet(map, CREATED_AT, payload.createdAt());
        return map;
    }

    public static MemoryPayload fromPayload(Map<String, Value> map) {
        return new MemoryPayload(string(map, ORG_ID), string(map, WORKSPACE_ID), string(map, USER_ID),
                string(map, AGENT_ID), string(map, THREAD_ID), string(map, MEMORY_ID), string(map, TEXT),
                string(map, KIND), string(map, JOB_ID), string(map, CREATED_AT));
    }

    /**
     * A search result as a hit. The memory id comes from the payload; points written by something else than this
     * class may lack it, and then the point id stands in, as both are the same UUID for our own points.
     */
    public static VectorHit toHit(ScoredPoint point) {
        MemoryPayload payload = fromPayload(point.getPayloadMap());
        String memoryId = payload.memoryId() != null ? payload.memoryId() : pointIdText(point.getId());
        return new VectorHit(memoryId, point.getScore(), payload);
    }

    /**
     * The filter every read carries: {@code must} match the org, and each scope field the tenant filter sets.
     * Also usable as camel-qdrant's endpoint option {@code filter}, which is fixed per endpoint.
     */
    public static Filter tenantFilter(TenantFilter tenant) {
        Filter.Builder filter = Filter.newBuilder().addMust(matchKeyword(ORG_ID, tenant.orgId()));
        addMustIfSet(filter, WORKSPACE_ID, tenant.workspaceId());
        addMustIfSet(filter, USER_ID, tenant.userId());
        addMustIfSet(filter, AGENT_ID, tenant.agentId());
        addMustIfSet(filter, THREAD_ID, tenant.threadId());
        return filter.build();
    }

    private static void putIfSet(Map<String, Value> map, String key, String text) {
        if (text != null) {
            map.put(key, value(text));
        }
    }

    private static void addMustIfSet(Filter.Builder filter, String key, String text) {
        if (text != null) {
            filter.addMust(matchKeyword(key, text));
        }
    }

    private static String string(Map<String, Value> map, String key) {
        Value stored = map.get(key);
        return stored != null && stored.getKindCase() == Value.KindCase.STRING_VALUE ? stored.getStringValue() : null;
    }

    private static String pointIdText(PointId id) {
        return id.hasUuid() ? id.getUuid() : Long.toUnsignedString(id.getNum());
    }
}
