package dev.memorymodule.workers.vector;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongConsumer;
import java.util.function.Supplier;
import java.util.regex.Pattern;

import io.grpc.ForwardingServerCall;
import io.grpc.Metadata;
import io.grpc.Server;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.stub.StreamObserver;
import io.qdrant.client.grpc.Collections.CollectionConfig;
import io.qdrant.client.grpc.Collections.CollectionExists;
import io.qdrant.client.grpc.Collections.CollectionExistsRequest;
import io.qdrant.client.grpc.Collections.CollectionExistsResponse;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CollectionOperationResponse;
import io.qdrant.client.grpc.Collections.CollectionParams;
import io.qdrant.client.grpc.Collections.CollectionStatus;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.DeleteCollection;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.GetCollectionInfoRequest;
import io.qdrant.client.grpc.Collections.GetCollectionInfoResponse;
import io.qdrant.client.grpc.Collections.OptimizerStatus;
import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.CollectionsGrpc;
import io.qdrant.client.grpc.Common.Condition;
import io.qdrant.client.grpc.Common.FieldCondition;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.Match;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.CountPoints;
import io.qdrant.client.grpc.Points.CountResponse;
import io.qdrant.client.grpc.Points.CountResult;
import io.qdrant.client.grpc.Points.CreateFieldIndexCollection;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.PointsOperationResponse;
import io.qdrant.client.grpc.Points.Query;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.QueryResponse;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.UpdateResult;
import io.qdrant.client.grpc.Points.UpdateStatus;
import io.qdrant.client.grpc.Points.UpsertPoints;
import io.qdrant.client.grpc.Points.Vector;
import io.qdrant.client.grpc.Points.VectorInput;
import io.qdrant.client.grpc.Points.Vectors;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import io.qdrant.client.grpc.Points.WithVectorsSelector;
import io.qdrant.client.grpc.PointsGrpc;
import io.qdrant.client.grpc.QdrantGrpc;
import io.qdrant.client.grpc.QdrantOuterClass.HealthCheckReply;
import io.qdrant.client.grpc.QdrantOuterClass.HealthCheckRequest;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TEST DOUBLE of Qdrant, not Qdrant: an in-process gRPC server on a real loopback TCP port that answers the part
 * of Qdrant's gRPC API which {@link QdrantVectorStore} and camel-qdrant call, with Qdrant's documented behaviour
 * and Qdrant's own status codes and error texts. No Qdrant server can be installed where these tests run, so the
 * contract tests run against this double by default and against a real Qdrant when {@code QDRANT_URL} is set.
 *
 * <p>It answers: health check (version {@value #VERSION}); collection create (one unnamed dense vector, cosine),
 * exists, info (vector params, point count, payload schema), delete; points upsert (with {@code wait}), query
 * (nearest to a dense vector, filter, limit, offset, payload on or off), count, create field index.
 * Filters: {@code must}, {@code should}, {@code must_not}, nested filters, {@code has_id}, and field matches on a
 * keyword, keywords, integer or boolean, where an array payload value matches when any element does.
 *
 * <p>Everything else answers {@code UNIMPLEMENTED} with a text that names this double, so a test never passes on
 * behaviour the double only pretends to have: named or sparse vectors, other distances, prefetch and other query
 * kinds, score thresholds, vectors in results, payload selectors, range, geo, text, null and empty conditions,
 * {@code min_should}, shard keys, conditional upserts. Points live in memory and are searched exhaustively, so
 * scores are exact where Qdrant's HNSW is approximate; tuning parameters (HNSW, WAL, optimizers, quantization,
 * shards, replication) are accepted and ignored; collection names and parameters are not validated.
 */
public final class QdrantTestDouble implements AutoCloseable {

    /** The Qdrant version this double reports; the client only checks that major and minor are close. */
    public static final String VERSION = "1.16.2";

    private static final Logger LOG = LoggerFactory.getLogger(QdrantTestDouble.class);

    private static final String TITLE = "qdrant - vector search engine (test double)";
    private static final String COMMIT = "test-double";
    private static final String API_KEY_HEADER = "api-key";
    private static final String AUTHORIZATION_HEADER = "authorization";
    // Qdrant takes the key in its own header or as a bearer token
    private static final String BEARER_PREFIX = "Bearer ";
    private static final String HEALTH_CHECK_METHOD = "qdrant.Qdrant/HealthCheck";
    // Qdrant's default page for a query without a limit
    private static final long DEFAULT_QUERY_LIMIT = 10;
    private static final long SHUTDOWN_SECONDS = 5;
    // the forms Rust's uuid::Uuid::parse_str accepts: simple, hyphenated, braced, urn
    private static final String HEX = "[0-9a-fA-F]";
    private static final String HYPHENATED = HEX + "{8}-" + HEX + "{4}-" + HEX + "{4}-" + HEX + "{4}-" + HEX + "{12}";
    private static final Pattern UUID_FORMS = Pattern.compile(
            HEX + "{32}|" + HYPHENATED + "|\\{" + HYPHENATED + "}|urn:uuid:" + HYPHENATED);
    private static final Pattern NOT_HEX = Pattern.compile("[^0-9a-f]");

    private final Server server;
    private final InjectedFailures faults = new InjectedFailures();
    private final Map<String, StoredCollection> collections = new ConcurrentHashMap<>();
    // Qdrant applies updates in order, after it has answered a call without wait; one thread does the same here
    private final ExecutorService updates = Executors.newSingleThreadExecutor(runnable -> {
        Thread thread = new Thread(runnable, "qdrant-double-updates");
        thread.setDaemon(true);
        return thread;
    });

    private QdrantTestDouble(String apiKey) {
        var builder = NettyServerBuilder.forAddress(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0))
                .addService(new HealthService())
                .addService(ServerInterceptors.intercept(new CollectionsService(), new ApiKeyCheck(apiKey), faults))
                .addService(ServerInterceptors.intercept(new PointsService(), new ApiKeyCheck(apiKey), faults));
        try {
            this.server = builder.build().start();
        } catch (IOException e) {
            throw new UncheckedIOException("the Qdrant test double could not listen on the loopback interface", e);
        }
    }

    /** Starts a double that needs no API key. */
    public static QdrantTestDouble start() {
        return new QdrantTestDouble(null);
    }

    /** Starts a double that, like Qdrant with {@code service.api_key} set, refuses calls without this key. */
    public static QdrantTestDouble startWithApiKey(String apiKey) {
        return new QdrantTestDouble(apiKey);
    }

    public int port() {
        return server.getPort();
    }

    public String host() {
        return InetAddress.getLoopbackAddress().getHostAddress();
    }

    /** The URL {@link QdrantVectorStore#fromUrl} takes: {@code http://127.0.0.1:<port>}. */
    public String url() {
        return "http://" + host() + ":" + port();
    }

    /**
     * From now on, fails this fraction of the calls to the collections and points services (the health check
     * still answers) with the given status, as a Qdrant that is overloaded or restarting does. Half of the failed
     * calls fail before they run; the other half run, a write lands, and then the answer is the failure, as when
     * a reply is lost: the caller cannot tell which happened. Not part of Qdrant's API; for fault tests.
     */
    public void failCalls(double fraction, Status.Code code) {
        if (fraction <= 0 || fraction > 1 || code == Status.Code.OK) {
            throw new IllegalArgumentException("need a fraction in (0, 1] and an error status: " + fraction + ", "
                    + code);
        }
        faults.start(fraction, code);
    }

    /** Answers every call normally again. */
    public void stopFailing() {
        faults.stop();
    }

    /** Calls failed on purpose so far, by {@link #failCalls}. */
    public long failedCalls() {
        return faults.failed();
    }

    /** The ids of every point a collection holds, as Qdrant prints them; empty when there is no such collection. */
    public Set<String> pointIds(String collectionName) {
        StoredCollection collection = collections.get(collectionName);
        return collection == null ? Set.of() : collection.ids();
    }

    @Override
    public void close() {
        server.shutdownNow();
        updates.shutdownNow();
        try {
            server.awaitTermination(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
            updates.awaitTermination(SHUTDOWN_SECONDS, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "QdrantTestDouble[" + url() + "]";
    }

    // ---- services ------------------------------------------------------------------------------------------

    private static final class HealthService extends QdrantGrpc.QdrantImplBase {
        @Override
        public void healthCheck(HealthCheckRequest request, StreamObserver<HealthCheckReply> response) {
            answer(response, () -> HealthCheckReply.newBuilder()
                    .setTitle(TITLE).setVersion(VERSION).setCommit(COMMIT).build());
        }
    }

    private final class CollectionsService extends CollectionsGrpc.CollectionsImplBase {

        @Override
        public void create(CreateCollection request, StreamObserver<CollectionOperationResponse> response) {
            long started = System.nanoTime();
            answer(response, () -> {
                VectorParams params = singleCosineVector(request);
                if (request.hasSparseVectorsConfig()) {
                    throw unimplemented("sparse vectors");
                }
                String name = request.getCollectionName();
                if (collections.putIfAbsent(name, new StoredCollection(params)) != null) {
                    throw Status.ALREADY_EXISTS
                            .withDescription("Wrong input: Collection `" + name + "` already exists!")
                            .asRuntimeException();
                }
                return CollectionOperationResponse.newBuilder().setResult(true).setTime(seconds(started)).build();
            });
        }

        @Override
        public void collectionExists(CollectionExistsRequest request,
                                     StreamObserver<CollectionExistsResponse> response) {
            long started = System.nanoTime();
            answer(response, () -> CollectionExistsResponse.newBuilder()
                    .setResult(CollectionExists.newBuilder()
                            .setExists(collections.containsKey(request.getCollectionName())))
                    .setTime(seconds(started))
                    .build());
        }

        @Override
        public void get(GetCollectionInfoRequest request, StreamObserver<GetCollectionInfoResponse> response) {
            long started = System.nanoTime();
            answer(response, () -> GetCollectionInfoResponse.newBuilder()
                    .setResult(collection(request.getCollectionName()).info())
                    .setTime(seconds(started))
                    .build());
        }

        @Override
        public void delete(DeleteCollection request, StreamObserver<CollectionOperationResponse> response) {
            long started = System.nanoTime();
            // Qdrant answers false, not an error, for a collection that is not there
            answer(response, () -> CollectionOperationResponse.newBuilder()
                    .setResult(collections.remove(request.getCollectionName()) != null)
                    .setTime(seconds(started))
                    .build());
        }
    }

    private final class PointsService extends PointsGrpc.PointsImplBase {

        @Override
        public void upsert(UpsertPoints request, StreamObserver<PointsOperationResponse> response) {
            long started = System.nanoTime();
            answer(response, () -> {
                StoredCollection collection = collection(request.getCollectionName());
                if (request.hasShardKeySelector() || request.hasUpdateFilter()) {
                    throw unimplemented("shard keys and conditional upserts");
                }
                // conversion errors come back at once, with or without wait, as Qdrant checks them on receipt
                List<StoredPoint> points = new ArrayList<>(request.getPointsCount());
                for (PointStruct point : request.getPointsList()) {
                    float[] vector = denseVector(point);
                    points.add(new StoredPoint(pointId(point), vector, Map.copyOf(point.getPayloadMap()), 0));
                }
                return update(collection, request.getWait(), started, version -> collection.upsert(points, version));
            });
        }

        @Override
        public void createFieldIndex(CreateFieldIndexCollection request,
                                     StreamObserver<PointsOperationResponse> response) {
            long started = System.nanoTime();
            answer(response, () -> {
                StoredCollection collection = collection(request.getCollectionName());
                if (!request.hasFieldType()) {
                    throw unimplemented("field indexes without an explicit field_type");
                }
                // FieldType counts from 0 (keyword), PayloadSchemaType from 1 after UnknownType
                PayloadSchemaType type = PayloadSchemaType.forNumber(request.getFieldTypeValue() + 1);
                PayloadSchemaInfo.Builder schema = PayloadSchemaInfo.newBuilder().setDataType(type);
                if (request.hasFieldIndexParams()) {
                    schema.setParams(request.getFieldIndexParams());
                }
                return update(collection, request.getWait(), started,
                        version -> collection.index(request.getFieldName(), schema.build()));
            });
        }

        @Override
        public void query(QueryPoints request, StreamObserver<QueryResponse> response) {
            long started = System.nanoTime();
            answer(response, () -> {
                StoredCollection collection = collection(request.getCollectionName());
                float[] query = nearestVector(request);
                long limit = request.hasLimit() ? request.getLimit() : DEFAULT_QUERY_LIMIT;
                boolean withPayload = payloadWanted(request.getWithPayload());
                List<ScoredPoint> result = collection.nearest(query, request.getFilter(), request.getOffset(),
                        limit, withPayload);
                return QueryResponse.newBuilder().addAllResult(result).setTime(seconds(started)).build();
            });
        }

        @Override
        public void count(CountPoints request, StreamObserver<CountResponse> response) {
            long started = System.nanoTime();
            // every count here is exact; Qdrant may estimate when exact=false
            answer(response, () -> CountResponse.newBuilder()
                    .setResult(CountResult.newBuilder()
                            .setCount(collection(request.getCollectionName()).count(request.getFilter())))
                    .setTime(seconds(started))
                    .build());
        }
    }

    /** Qdrant's API key check: the health check is open, every other call needs the key when one is set. */
    private static final class ApiKeyCheck implements ServerInterceptor {

        private static final Metadata.Key<String> API_KEY =
                Metadata.Key.of(API_KEY_HEADER, Metadata.ASCII_STRING_MARSHALLER);
        private static final Metadata.Key<String> AUTHORIZATION =
                Metadata.Key.of(AUTHORIZATION_HEADER, Metadata.ASCII_STRING_MARSHALLER);

        private final String apiKey;

        ApiKeyCheck(String apiKey) {
            this.apiKey = apiKey;
        }

        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                           ServerCallHandler<Q, A> next) {
            if (apiKey == null || HEALTH_CHECK_METHOD.equals(call.getMethodDescriptor().getFullMethodName())) {
                return next.startCall(call, headers);
            }
            String bearer = headers.get(AUTHORIZATION);
            String given = headers.get(API_KEY);
            if (given == null && bearer != null && bearer.startsWith(BEARER_PREFIX)) {
                given = bearer.substring(BEARER_PREFIX.length());
            }
            if (given == null && bearer == null) {
                call.close(Status.UNAUTHENTICATED
                        .withDescription("Must provide an API key or an Authorization bearer token"), new Metadata());
                return new ServerCall.Listener<>() { };
            }
            if (!apiKey.equals(given)) {
                call.close(Status.UNAUTHENTICATED.withDescription("Invalid API key or JWT"), new Metadata());
                return new ServerCall.Listener<>() { };
            }
            return next.startCall(call, headers);
        }
    }

    /** The failure switch behind {@link #failCalls}: decides per call, before it runs, whether and how it fails. */
    private static final class InjectedFailures implements ServerInterceptor {

        private final AtomicLong failed = new AtomicLong();
        private volatile double fraction;
        private volatile Status.Code code = Status.Code.OK;

        void start(double newFraction, Status.Code newCode) {
            code = newCode;
            fraction = newFraction;
        }

        void stop() {
            fraction = 0;
        }

        long failed() {
            return failed.get();
        }

        @Override
        public <Q, A> ServerCall.Listener<Q> interceptCall(ServerCall<Q, A> call, Metadata headers,
                                                           ServerCallHandler<Q, A> next) {
            ThreadLocalRandom random = ThreadLocalRandom.current();
            double chance = fraction;
            if (chance <= 0 || random.nextDouble() >= chance) {
                return next.startCall(call, headers);
            }
            failed.incrementAndGet();
            Status status = Status.fromCode(code).withDescription("failure injected by the Qdrant test double");
            if (random.nextBoolean()) {
                call.close(status, new Metadata());
                return new ServerCall.Listener<>() { };
            }
            // the call runs and takes effect; only its answer is replaced by the failure
            return next.startCall(new ForwardingServerCall.SimpleForwardingServerCall<>(call) {
                @Override
                public void sendMessage(A message) {
                    // dropped: the caller gets the failure instead
                }

                @Override
                public void close(Status original, Metadata trailers) {
                    super.close(original.isOk() ? status : original, trailers);
                }
            }, headers);
        }
    }

    // ---- storage -------------------------------------------------------------------------------------------

    private record StoredPoint(PointId id, float[] vector, Map<String, Value> payload, long version) {
    }

    /** One collection; every method holds its lock, which is plenty for tests. */
    private static final class StoredCollection {

        private final VectorParams params;
        private final Map<PointId, StoredPoint> points = new LinkedHashMap<>();
        private final Map<String, PayloadSchemaInfo> indexes = new LinkedHashMap<>();
        private long lastOperationId;

        StoredCollection(VectorParams params) {
            this.params = params;
        }

        synchronized long nextOperationId() {
            return ++lastOperationId;
        }

        synchronized void upsert(List<StoredPoint> batch, long version) {
            // checked in the segment, when the update is applied; a batch is checked whole before any point lands
            for (StoredPoint point : batch) {
                requireDimension(point.vector());
            }
            for (StoredPoint point : batch) {
                // cosine collections store unit vectors, as Qdrant normalizes on upsert
                points.put(point.id(), new StoredPoint(point.id(), unit(point.vector()), point.payload(), version));
            }
        }

        synchronized Set<String> ids() {
            Set<String> ids = new HashSet<>();
            for (PointId id : points.keySet()) {
                ids.add(id.hasUuid() ? id.getUuid() : Long.toUnsignedString(id.getNum()));
            }
            return ids;
        }

        synchronized void index(String field, PayloadSchemaInfo schema) {
            indexes.put(field, schema);
        }

        synchronized List<ScoredPoint> nearest(float[] query, Filter filter, long offset, long limit,
                                               boolean withPayload) {
            requireDimension(query);
            FilterCheck.requireSupported(filter);
            float[] unitQuery = unit(query);
            List<ScoredPoint> scored = new ArrayList<>();
            for (StoredPoint point : points.values()) {
                if (FilterCheck.matches(filter, point)) {
                    ScoredPoint.Builder hit = ScoredPoint.newBuilder()
                            .setId(point.id())
                            .setScore(dot(unitQuery, point.vector()))
                            .setVersion(point.version());
                    if (withPayload) {
                        hit.putAllPayload(point.payload());
                    }
                    scored.add(hit.build());
                }
            }
            // ties in score go by id, so that results are stable from run to run
            Comparator<ScoredPoint> byScore = Comparator.comparingDouble(ScoredPoint::getScore);
            scored.sort(byScore.reversed().thenComparing(hit -> hit.getId().toString()));
            return scored.stream().skip(offset).limit(limit).toList();
        }

        synchronized long count(Filter filter) {
            FilterCheck.requireSupported(filter);
            return points.values().stream().filter(point -> FilterCheck.matches(filter, point)).count();
        }

        synchronized CollectionInfo info() {
            CollectionInfo.Builder info = CollectionInfo.newBuilder()
                    .setStatus(CollectionStatus.Green)
                    .setOptimizerStatus(OptimizerStatus.newBuilder().setOk(true))
                    .setSegmentsCount(1)
                    .setPointsCount(points.size())
                    .setConfig(CollectionConfig.newBuilder().setParams(CollectionParams.newBuilder()
                            .setShardNumber(1)
                            .setVectorsConfig(VectorsConfig.newBuilder().setParams(params))));
            for (Map.Entry<String, PayloadSchemaInfo> index : indexes.entrySet()) {
                long indexed = points.values().stream()
                        .filter(point -> point.payload().containsKey(index.getKey()))
                        .count();
                info.putPayloadSchema(index.getKey(), index.getValue().toBuilder().setPoints(indexed).build());
            }
            return info.build();
        }

        private void requireDimension(float[] vector) {
            if (vector.length != params.getSize()) {
                throw Status.INVALID_ARGUMENT.withDescription("Wrong input: Vector dimension error: expected dim: "
                        + params.getSize() + ", got " + vector.length).asRuntimeException();
            }
        }
    }

    /** Qdrant's filter semantics: all of {@code must}, none of {@code must_not}, at least one of a {@code should}. */
    private static final class FilterCheck {

        private FilterCheck() {
        }

        /** Refuses what this double does not evaluate, whether or not any point would reach that condition. */
        static void requireSupported(Filter filter) {
            if (filter.hasMinShould()) {
                throw unimplemented("min_should");
            }
            List<Condition> all = new ArrayList<>(filter.getMustList());
            all.addAll(filter.getShouldList());
            all.addAll(filter.getMustNotList());
            for (Condition condition : all) {
                switch (condition.getConditionOneOfCase()) {
                    case FIELD -> requireSupported(condition.getField());
                    case FILTER -> requireSupported(condition.getFilter());
                    case HAS_ID -> condition.getHasId().getHasIdList().forEach(QdrantTestDouble::normalize);
                    default -> throw unimplemented("condition " + condition.getConditionOneOfCase());
                }
            }
        }

        static boolean matches(Filter filter, StoredPoint point) {
            for (Condition condition : filter.getMustList()) {
                if (!holds(condition, point)) {
                    return false;
                }
            }
            for (Condition condition : filter.getMustNotList()) {
                if (holds(condition, point)) {
                    return false;
                }
            }
            if (filter.getShouldCount() == 0) {
                return true;
            }
            for (Condition condition : filter.getShouldList()) {
                if (holds(condition, point)) {
                    return true;
                }
            }
            return false;
        }

        private static void requireSupported(FieldCondition field) {
            if (!field.hasMatch() || field.hasRange() || field.hasGeoBoundingBox() || field.hasGeoRadius()
                    || field.hasGeoPolygon() || field.hasValuesCount() || field.hasDatetimeRange()
                    || field.hasIsEmpty() || field.hasIsNull()) {
                throw unimplemented("field conditions other than match (on `" + field.getKey() + "`)");
            }
            switch (field.getMatch().getMatchValueCase()) {
                case KEYWORD, KEYWORDS, INTEGER, BOOLEAN -> { }
                default -> throw unimplemented("match " + field.getMatch().getMatchValueCase());
            }
        }

        private static boolean holds(Condition condition, StoredPoint point) {
            return switch (condition.getConditionOneOfCase()) {
                case FIELD -> fieldMatches(condition.getField(), point);
                case FILTER -> matches(condition.getFilter(), point);
                case HAS_ID -> condition.getHasId().getHasIdList().stream()
                        .anyMatch(id -> normalize(id).equals(point.id()));
                default -> throw unimplemented("condition " + condition.getConditionOneOfCase());
            };
        }

        private static boolean fieldMatches(FieldCondition field, StoredPoint point) {
            Value stored = point.payload().get(field.getKey());
            if (stored == null) {
                return false;
            }
            // an array matches when any of its elements does
            List<Value> values = stored.hasListValue() ? stored.getListValue().getValuesList() : List.of(stored);
            Match match = field.getMatch();
            return values.stream().anyMatch(value -> switch (match.getMatchValueCase()) {
                case KEYWORD -> value.hasStringValue() && value.getStringValue().equals(match.getKeyword());
                case KEYWORDS -> value.hasStringValue()
                        && match.getKeywords().getStringsList().contains(value.getStringValue());
                case INTEGER -> value.hasIntegerValue() && value.getIntegerValue() == match.getInteger();
                case BOOLEAN -> value.hasBoolValue() && value.getBoolValue() == match.getBoolean();
                default -> throw unimplemented("match " + match.getMatchValueCase());
            });
        }
    }

    // ---- request conversion, as Qdrant does it ---------------------------------------------------------------

    private static VectorParams singleCosineVector(CreateCollection request) {
        VectorsConfig config = request.getVectorsConfig();
        if (config.getConfigCase() != VectorsConfig.ConfigCase.PARAMS) {
            throw unimplemented("collections without exactly one unnamed dense vector");
        }
        VectorParams params = config.getParams();
        if (params.getDistance() != Distance.Cosine) {
            throw unimplemented("distance " + params.getDistance());
        }
        return VectorParams.newBuilder().setSize(params.getSize()).setDistance(params.getDistance()).build();
    }

    private static float[] denseVector(PointStruct point) {
        if (!point.hasVectors()) {
            throw invalid("Expected some vectors");
        }
        Vectors vectors = point.getVectors();
        if (vectors.getVectorsOptionsCase() != Vectors.VectorsOptionsCase.VECTOR) {
            throw unimplemented("named vectors");
        }
        Vector vector = vectors.getVector();
        return switch (vector.getVectorCase()) {
            case DENSE -> floats(vector.getDense().getDataList());
            // clients before 1.13 sent the numbers in the deprecated data field
            case VECTOR_NOT_SET -> floats(vector.getDataList());
            default -> throw unimplemented("vector kind " + vector.getVectorCase());
        };
    }

    private static float[] nearestVector(QueryPoints request) {
        if (request.getPrefetchCount() > 0 || request.hasLookupFrom() || request.hasShardKeySelector()) {
            throw unimplemented("prefetch, lookup_from and shard keys");
        }
        if (request.hasUsing() && !request.getUsing().isEmpty()) {
            throw unimplemented("named vectors");
        }
        if (request.hasScoreThreshold()) {
            throw unimplemented("score_threshold");
        }
        if (request.hasWithVectors() && vectorsWanted(request.getWithVectors())) {
            throw unimplemented("vectors in query results");
        }
        Query query = request.getQuery();
        if (!request.hasQuery() || query.getVariantCase() != Query.VariantCase.NEAREST) {
            throw unimplemented("queries other than nearest");
        }
        VectorInput input = query.getNearest();
        if (input.getVariantCase() != VectorInput.VariantCase.DENSE) {
            throw unimplemented("nearest to anything but a dense vector");
        }
        return floats(input.getDense().getDataList());
    }

    private static boolean payloadWanted(WithPayloadSelector selector) {
        return switch (selector.getSelectorOptionsCase()) {
            case ENABLE -> selector.getEnable();
            // the query API leaves payload out unless asked
            case SELECTOROPTIONS_NOT_SET -> false;
            default -> throw unimplemented("payload include/exclude selectors");
        };
    }

    private static boolean vectorsWanted(WithVectorsSelector selector) {
        return selector.getSelectorOptionsCase() != WithVectorsSelector.SelectorOptionsCase.ENABLE
                || selector.getEnable();
    }

    private static PointId pointId(PointStruct point) {
        if (!point.hasId()) {
            throw invalid("Empty ID is not allowed");
        }
        return normalize(point.getId());
    }

    /** Unsigned integers as they are; UUIDs in any form Qdrant parses, stored as Qdrant prints them. */
    private static PointId normalize(PointId id) {
        return switch (id.getPointIdOptionsCase()) {
            case NUM -> id;
            case UUID -> PointId.newBuilder().setUuid(canonicalUuid(id.getUuid())).build();
            default -> throw invalid("No ID options provided");
        };
    }

    private static String canonicalUuid(String text) {
        if (!UUID_FORMS.matcher(text).matches()) {
            throw invalid("Unable to parse UUID: " + text);
        }
        String hex = NOT_HEX.matcher(text.toLowerCase(Locale.ROOT).replace("urn:uuid:", "")).replaceAll("");
        return hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                + hex.substring(16, 20) + "-" + hex.substring(20);
    }

    // ---- support -------------------------------------------------------------------------------------------

    private StoredCollection collection(String name) {
        StoredCollection collection = collections.get(name);
        if (collection == null) {
            throw Status.NOT_FOUND.withDescription("Not found: Collection `" + name + "` doesn't exist!")
                    .asRuntimeException();
        }
        return collection;
    }

    /** Queues an update; with wait the answer follows its outcome, without wait it only says it was received. */
    private PointsOperationResponse update(StoredCollection collection, boolean wait, long started,
                                           LongConsumer apply) {
        long operationId = collection.nextOperationId();
        var applied = updates.submit(() -> {
            try {
                apply.accept(operationId);
            } catch (StatusRuntimeException e) {
                if (!wait) {
                    // Qdrant too only logs a failed update nobody waited for
                    LOG.warn("Update {} failed after it was acknowledged: {}", operationId, e.getStatus());
                }
                throw e;
            }
        });
        UpdateStatus status = UpdateStatus.Acknowledged;
        if (wait) {
            try {
                applied.get();
                status = UpdateStatus.Completed;
            } catch (ExecutionException e) {
                throw e.getCause() instanceof StatusRuntimeException failure ? failure
                        : Status.INTERNAL.withCause(e.getCause()).asRuntimeException();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw Status.CANCELLED.withDescription("test double shutting down").asRuntimeException();
            }
        }
        return PointsOperationResponse.newBuilder()
                .setResult(UpdateResult.newBuilder().setOperationId(operationId).setStatus(status))
                .setTime(seconds(started))
                .build();
    }

    private static <T> void answer(StreamObserver<T> response, Supplier<T> handler) {
        try {
            response.onNext(handler.get());
            response.onCompleted();
        } catch (StatusRuntimeException e) {
            response.onError(e);
        }
    }

    private static StatusRuntimeException invalid(String description) {
        return Status.INVALID_ARGUMENT.withDescription(description).asRuntimeException();
    }

    private static StatusRuntimeException unimplemented(String what) {
        return Status.UNIMPLEMENTED.withDescription("QdrantTestDouble does not implement " + what)
                .asRuntimeException();
    }

    private static double seconds(long startedNanos) {
        return (System.nanoTime() - startedNanos) / 1e9;
    }

    private static float[] floats(List<Float> numbers) {
        float[] vector = new float[numbers.size()];
        for (int i = 0; i < vector.length; i++) {
            vector[i] = numbers.get(i);
        }
        return vector;
    }

    private static float[] unit(float[] vector) {
        double norm = Math.sqrt(dot(vector, vector));
        if (norm == 0) {
            // Qdrant leaves a zero vector as it is; it scores 0 against everything
            return vector.clone();
        }
        float[] unit = new float[vector.length];
        for (int i = 0; i < vector.length; i++) {
            unit[i] = (float) (vector[i] / norm);
        }
        return unit;
    }

    private static float dot(float[] a, float[] b) {
        float sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
