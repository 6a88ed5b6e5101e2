package dev.memorymodule.workers.vector;

import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.WithPayloadSelectorFactory.enable;

import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Future;

import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.TransientJobException;
import dev.memorymodule.workers.vector.QdrantErrors.WhenMissing;
import io.grpc.Status;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.QdrantGrpcClient;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.KeywordIndexParams;
import io.qdrant.client.grpc.Collections.PayloadIndexParams;
import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Points.CreateFieldIndexCollection;
import io.qdrant.client.grpc.Points.FieldType;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.UpsertPoints;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Memory vectors in Qdrant over gRPC, one collection per model and dimension count
 * ({@link QdrantPoints#collectionName}), cosine distance, keyword payload indexes on the tenant and scope fields
 * with {@code org_id} marked as the tenant. Every read carries a {@code must} filter on the org.
 *
 * <p>Failures become {@link PermanentJobException} when Qdrant rejects the request itself (a vector of the wrong
 * size, a read from a collection that does not exist) and {@link TransientJobException} when a retry may pass
 * (Qdrant unreachable or slow, a collection that vanished under a write). Thread-safe; one instance per worker.
 */
public final class QdrantVectorStore implements VectorStore {

    public static final int DEFAULT_PORT = 6334;
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(10);

    private static final Logger LOG = LoggerFactory.getLogger(QdrantVectorStore.class);

    private static final String KIND = "qdrant";
    // Qdrant answers REST on 6333 and gRPC on 6334; this client speaks only gRPC
    private static final int REST_PORT = 6333;
    private static final String PLAIN_SCHEME = "http";
    private static final String TLS_SCHEME = "https";

    private final Options options;
    private final QdrantClient client;
    // collections this instance has created or checked; a write re-checks after Qdrant says one is missing
    private final Set<String> readyCollections = ConcurrentHashMap.newKeySet();

    private QdrantVectorStore(Options options, QdrantClient client) {
        this.options = options;
        this.client = client;
    }

    /**
     * Where Qdrant's gRPC port is and how to talk to it.
     *
     * @param host    host name or address
     * @param port    the gRPC port, 6334 by default
     * @param apiKey  sent as {@code api-key} with every call; null or blank for none
     * @param tls     whether the channel uses TLS
     * @param timeout deadline of every single call
     */
    public record Options(String host, int port, String apiKey, boolean tls, Duration timeout) {

        public Options {
            Objects.requireNonNull(host, "host");
            Objects.requireNonNull(timeout, "timeout");
            if (port <= 0 || port > 65_535) {
                throw new IllegalArgumentException("port out of range: " + port);
            }
            if (timeout.isNegative() || timeout.isZero()) {
                throw new IllegalArgumentException("timeout must be positive: " + timeout);
            }
            apiKey = apiKey == null || apiKey.isBlank() ? null : apiKey;
        }

        /**
         * Reads {@code http://host:6334} (plain) or {@code https://host:6334} (TLS); the port defaults to 6334 and
         * the timeout to {@link QdrantVectorStore#DEFAULT_TIMEOUT}.
         */
        public static Options fromUrl(String url, String apiKey) {
            URI uri = URI.create(Objects.requireNonNull(url, "url").trim());
            String scheme = uri.getScheme();
            if (!PLAIN_SCHEME.equalsIgnoreCase(scheme) && !TLS_SCHEME.equalsIgnoreCase(scheme)) {
                throw new IllegalArgumentException("Qdrant URL must start with http:// or https://: '" + url + "'");
            }
            if (uri.getHost() == null) {
                throw new IllegalArgumentException("Qdrant URL has no host: '" + url + "'");
            }
            int port = uri.getPort() == -1 ? DEFAULT_PORT : uri.getPort();
            if (port == REST_PORT) {
                LOG.warn("Qdrant URL {} names the REST port; this worker speaks gRPC, usually on {}", url,
                        DEFAULT_PORT);
            }
            return new Options(uri.getHost(), port, apiKey, TLS_SCHEME.equalsIgnoreCase(scheme), DEFAULT_TIMEOUT);
        }

        public Options withTimeout(Duration newTimeout) {
            return new Options(host, port, apiKey, tls, newTimeout);
        }

        @Override
        public String toString() {
            // never print the key
            return (tls ? TLS_SCHEME : PLAIN_SCHEME) + "://" + host + ":" + port
                    + (apiKey != null ? " (api key set)" : "") + ", timeout " + timeout;
        }
    }

    /** {@link #connect(Options)} with {@link Options#fromUrl(String, String)}. */
    public static QdrantVectorStore fromUrl(String url, String apiKey) {
        return connect(Options.fromUrl(url, apiKey));
    }

    /**
     * Opens the channel and asks Qdrant for its version. A Qdrant that does not answer yet is logged, not fatal:
     * the worker starts, and its jobs fail transiently until Qdrant is back.
     */
    public static QdrantVectorStore connect(Options options) {
        // the client's own version check at build time has no deadline; the health check below has one
        QdrantGrpcClient.Builder grpc = QdrantGrpcClient.newBuilder(options.host(), options.port(), options.tls(),
                false).withTimeout(options.timeout());
        if (options.apiKey() != null) {
            grpc.withApiKey(options.apiKey());
        }
        QdrantVectorStore store = new QdrantVectorStore(options, new QdrantClient(grpc.build()));
        store.logServerVersion();
        return store;
    }

    @Override
    public String kind() {
        return KIND;
    }

    public Options options() {
        return options;
    }

    /** The client underneath, for checks a store does not offer (collection info, raw requests). */
    public QdrantClient client() {
        return client;
    }

    @Override
    public void ensureCollection(String model, int dims) {
        String collection = QdrantPoints.collectionName(model, dims);
        if (readyCollections.contains(collection)) {
            return;
        }
        if (!await(client.collectionExistsAsync(collection, options.timeout()), "check of " + collection,
                WhenMissing.RETRY)) {
            create(collection, dims);
        }
        CollectionInfo info = await(client.getCollectionInfoAsync(collection, options.timeout()),
                "info of " + collection, WhenMissing.RETRY);
        requireShape(collection, info, dims);
        createMissingIndexes(collection, info.getPayloadSchemaMap());
        readyCollections.add(collection);
    }

    @Override
    public void upsert(String model, int dims, List<VectorPoint> points) {
        if (points.isEmpty()) {
            return;
        }
        ensureCollection(model, dims);
        String collection = QdrantPoints.collectionName(model, dims);
        UpsertPoints request = UpsertPoints.newBuilder()
                .setCollectionName(collection)
                .addAllPoints(QdrantPoints.toPointStructs(points))
                .setWait(true)
                .build();
        try {
            await(client.upsertAsync(request, options.timeout()), "upsert into " + collection, WhenMissing.RETRY);
        } catch (TransientJobException e) {
            // deleted behind our back: forget it, so the retry creates it again with its indexes
            readyCollections.remove(collection);
            throw e;
        }
        LOG.debug("Upserted {} point(s) into {}", points.size(), collection);
    }

    @Override
    public List<VectorHit> search(String model, int dims, float[] query, TenantFilter filter, int topK) {
        Objects.requireNonNull(filter, "a vector search is always scoped to an org");
        if (topK <= 0) {
            throw new IllegalArgumentException("topK must be positive: " + topK);
        }
        String collection = QdrantPoints.collectionName(model, dims);
        QueryPoints request = QueryPoints.newBuilder()
                .setCollectionName(collection)
                .setQuery(nearest(query))
                .setFilter(QdrantPoints.tenantFilter(filter))
                .setLimit(topK)
                .setWithPayload(enable(true))
                .build();
        List<ScoredPoint> points = await(client.queryAsync(request, options.timeout()),
                "search in " + collection, WhenMissing.FAIL);
        List<VectorHit> hits = new ArrayList<>(points.size());
        for (ScoredPoint point : points) {
            hits.add(QdrantPoints.toHit(point));
        }
        return hits;
    }

    @Override
    public long count(String model, int dims, TenantFilter filter) {
        Objects.requireNonNull(filter, "a count is always scoped to an org");
        String collection = QdrantPoints.collectionName(model, dims);
        Filter tenant = QdrantPoints.tenantFilter(filter);
        return await(client.countAsync(collection, tenant, true, options.timeout()), "count in " + collection,
                WhenMissing.FAIL);
    }

    @Override
    public void close() {
        client.close();
    }

    @Override
    public String toString() {
        return "QdrantVectorStore[" + options + "]";
    }

    private void create(String collection, int dims) {
        CreateCollection request = CreateCollection.newBuilder()
                .setCollectionName(collection)
                .setVectorsConfig(VectorsConfig.newBuilder()
                        .setParams(VectorParams.newBuilder().setSize(dims).setDistance(Distance.Cosine)))
                .build();
        try {
            await(client.createCollectionAsync(request, options.timeout()), "creation of " + collection,
                    WhenMissing.RETRY);
            LOG.info("Created Qdrant collection {} ({} dims, cosine)", collection, dims);
        } catch (PermanentJobException e) {
            // another worker created it between our check and our create; its shape is checked next
            if (QdrantErrors.status(e.getCause()).getCode() != Status.Code.ALREADY_EXISTS) {
                throw e;
            }
        }
    }

    private static void requireShape(String collection, CollectionInfo info, int dims) {
        VectorParams params = info.getConfig().getParams().getVectorsConfig().getParams();
        if (params.getSize() != dims || params.getDistance() != Distance.Cosine) {
            throw new PermanentJobException("Qdrant collection " + collection + " holds " + params.getSize()
                    + "-dim " + params.getDistance() + " vectors, not " + dims + "-dim Cosine ones; it was not"
                    + " created by this worker and must be recreated or renamed");
        }
    }

    private void createMissingIndexes(String collection, Map<String, PayloadSchemaInfo> existing) {
        for (String field : QdrantPoints.INDEXED_FIELDS) {
            if (existing.containsKey(field)) {
                continue;
            }
            // the org is the tenant: Qdrant keeps each org's points together, which speeds up filtered search
            KeywordIndexParams keyword = KeywordIndexParams.newBuilder()
                    .setIsTenant(QdrantPoints.ORG_ID.equals(field))
                    .build();
            CreateFieldIndexCollection request = CreateFieldIndexCollection.newBuilder()
                    .setCollectionName(collection)
                    .setFieldName(field)
                    .setFieldType(FieldType.FieldTypeKeyword)
                    .setFieldIndexParams(PayloadIndexParams.newBuilder().setKeywordIndexParams(keyword))
                    .setWait(true)
                    .build();
            await(client.createPayloadIndexAsync(request, options.timeout()), "index of " + field + " in "
                    + collection, WhenMissing.RETRY);
            LOG.debug("Created keyword index on {} in {}", field, collection);
        }
    }

    private void logServerVersion() {
        try {
            String version = client.healthCheckAsync(options.timeout()).get().getVersion();
            LOG.info("Connected to Qdrant {} at {}", version, options);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (ExecutionException e) {
            LOG.warn("Qdrant at {} does not answer yet ({}); vector jobs fail transiently until it does", options,
                    QdrantErrors.status(e).getCode());
        }
    }

    private static <T> T await(Future<T> call, String operation, WhenMissing whenMissing) {
        try {
            // every call carries the gRPC deadline from the options, so this wait is bounded
            return call.get();
        } catch (InterruptedException e) {
            call.cancel(true);
            Thread.currentThread().interrupt();
            throw new TransientJobException("interrupted while waiting for Qdrant " + operation, e);
        } catch (ExecutionException e) {
            throw QdrantErrors.translate(e, operation, whenMissing);
        }
    }
}
