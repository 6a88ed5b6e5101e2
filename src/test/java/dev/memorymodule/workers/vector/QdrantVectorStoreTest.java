package dev.memorymodule.workers.vector;

import static io.qdrant.client.ConditionFactory.matchKeyword;
import static io.qdrant.client.PointIdFactory.id;
import static io.qdrant.client.QueryFactory.nearest;
import static io.qdrant.client.VectorsFactory.vectors;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ExecutionException;

import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.TransientJobException;
import dev.memorymodule.workers.testsupport.TcpProxy;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.qdrant.client.QdrantClient;
import io.qdrant.client.grpc.Collections.CollectionInfo;
import io.qdrant.client.grpc.Collections.CreateCollection;
import io.qdrant.client.grpc.Collections.Distance;
import io.qdrant.client.grpc.Collections.PayloadSchemaInfo;
import io.qdrant.client.grpc.Collections.PayloadSchemaType;
import io.qdrant.client.grpc.Collections.VectorParams;
import io.qdrant.client.grpc.Collections.VectorsConfig;
import io.qdrant.client.grpc.Common.Condition;
import io.qdrant.client.grpc.Common.Filter;
import io.qdrant.client.grpc.Common.PointId;
import io.qdrant.client.grpc.Points.PointStruct;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.UpdateResult;
import io.qdrant.client.grpc.Points.UpdateStatus;
import io.qdrant.client.grpc.Points.UpsertPoints;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The {@link VectorStore} contract on Qdrant. Runs against a {@link QdrantTestDouble} by default, and the same
 * methods run against a real Qdrant when {@code QDRANT_URL} is set ({@code QDRANT_API_KEY} too, if it needs one).
 * The tests that call the client directly pin down the server behaviour the store relies on.
 */
class QdrantVectorStoreTest {

    private static final int DIMS = 4;
    private static final double SCORE_TOLERANCE = 1e-5;
    private static final Duration SHORT_TIMEOUT = Duration.ofMillis(500);
    private static final Duration VISIBLE_WITHIN = Duration.ofSeconds(10);

    private static final String ORG_A = "0b6f4a52-0c39-4b5a-9f0e-6f1f6d1a0a01";
    private static final String ORG_B = "0b6f4a52-0c39-4b5a-9f0e-6f1f6d1a0b02";
    private static final String WORKSPACE = "5d0f3a1c-7b7e-4c1e-8a51-2a9d1c7e0c10";
    private static final String OTHER_WORKSPACE = "5d0f3a1c-7b7e-4c1e-8a51-2a9d1c7e0c11";
    private static final String USER_1 = "a1111111-1111-4111-8111-111111111111";
    private static final String USER_2 = "a2222222-2222-4222-8222-222222222222";
    private static final String THREAD_1 = "b1111111-1111-4111-8111-111111111111";
    private static final String THREAD_2 = "b2222222-2222-4222-8222-222222222222";
    private static final String JOB_ID = "01J9Z8Q4V6W3X2Y1Z0A9B8C7D6";
    private static final String CREATED_AT = "2025-01-01T00:00:00Z";

    private static final float[] EAST = {1, 0, 0, 0};
    private static final float[] NORTH = {0, 1, 0, 0};
    private static final float[] UP = {0, 0, 1, 0};
    // cosine to EAST is 3/5 whatever the length: Qdrant scores direction, not magnitude
    private static final float[] EAST_NORTH_EAST = {3, 4, 0, 0};

    private static QdrantTarget target;
    private static QdrantVectorStore store;

    @BeforeAll
    static void connect() {
        target = QdrantTarget.start();
        store = target.openStore();
    }

    @AfterAll
    static void disconnect() {
        if (store != null) {
            store.close();
        }
        if (target != null) {
            target.close();
        }
    }

    // ---- the store ----------------------------------------------------------------------------------------

    @Test
    void createsACosineCollectionWithTenantAndScopeIndexes() throws Exception {
        String model = target.uniqueModel("create", DIMS);

        store.ensureCollection(model, DIMS);
        store.ensureCollection(model, DIMS);
        try (QdrantVectorStore second = target.openStore()) {
            // another worker finds the collection made and leaves it as it is
            second.ensureCollection(model, DIMS);
        }

        CollectionInfo info = info(model);
        VectorParams vectors = info.getConfig().getParams().getVectorsConfig().getParams();
        assertThat(vectors.getSize()).isEqualTo(DIMS);
        assertThat(vectors.getDistance()).isEqualTo(Distance.Cosine);
        Map<String, PayloadSchemaInfo> schema = info.getPayloadSchemaMap();
        assertThat(schema).containsOnlyKeys(QdrantPoints.INDEXED_FIELDS);
        assertThat(schema.values()).allSatisfy(field ->
                assertThat(field.getDataType()).isEqualTo(PayloadSchemaType.Keyword));
        assertThat(schema.get(QdrantPoints.ORG_ID).getParams().getKeywordIndexParams().getIsTenant()).isTrue();
        assertThat(schema.get(QdrantPoints.USER_ID).getParams().getKeywordIndexParams().getIsTenant()).isFalse();
        assertThat(QdrantPoints.collectionName(model, DIMS)).startsWith("mm_t").endsWith("_" + DIMS);
    }

    @Test
    void searchRanksTheNearestFirstWithCosineScores() {
        String model = target.uniqueModel("rank", DIMS);
        VectorPoint east = point(ORG_A, USER_1, THREAD_1, "east", EAST);
        VectorPoint eastNorthEast = point(ORG_A, USER_1, THREAD_1, "east-north-east", EAST_NORTH_EAST);
        VectorPoint up = point(ORG_A, USER_1, THREAD_1, "up", UP);
        store.upsert(model, DIMS, List.of(up, eastNorthEast, east));

        List<VectorHit> hits = store.search(model, DIMS, new float[] {2, 0, 0, 0}, TenantFilter.org(ORG_A), 3);

        assertThat(hits).extracting(VectorHit::memoryId)
                .containsExactly(memoryId(east), memoryId(eastNorthEast), memoryId(up));
        assertThat(hits.get(0).score()).isCloseTo(1.0, within(SCORE_TOLERANCE));
        assertThat(hits.get(1).score()).isCloseTo(0.6, within(SCORE_TOLERANCE));
        assertThat(hits.get(2).score()).isCloseTo(0.0, within(SCORE_TOLERANCE));
        assertThat(hits.get(0).payload()).isEqualTo(east.payload());
        assertThat(store.search(model, DIMS, EAST, TenantFilter.org(ORG_A), 2)).hasSize(2);
    }

    @Test
    void searchNeverReturnsAnotherOrgsPointsEvenWhenTheyAreNearer() {
        String model = target.uniqueModel("tenant", DIMS);
        VectorPoint theirs = point(ORG_B, USER_1, THREAD_1, "exactly the query", EAST);
        VectorPoint ours = point(ORG_A, USER_1, THREAD_1, "far from the query", UP);
        store.upsert(model, DIMS, List.of(theirs, ours));

        List<VectorHit> hits = store.search(model, DIMS, EAST, TenantFilter.org(ORG_A), 10);

        assertThat(hits).extracting(VectorHit::memoryId).containsExactly(memoryId(ours));
        assertThat(hits).allSatisfy(hit -> assertThat(hit.payload().orgId()).isEqualTo(ORG_A));
        assertThat(store.count(model, DIMS, TenantFilter.org(ORG_B))).isEqualTo(1);
    }

    @Test
    void scopeFieldsNarrowTheSearch() {
        String model = target.uniqueModel("scope", DIMS);
        VectorPoint user1Thread1 = point(ORG_A, USER_1, THREAD_1, "u1 t1", EAST);
        VectorPoint user1Thread2 = point(ORG_A, USER_1, THREAD_2, "u1 t2", NORTH);
        VectorPoint user2Thread1 = point(ORG_A, USER_2, THREAD_1, "u2 t1", UP);
        store.upsert(model, DIMS, List.of(user1Thread1, user1Thread2, user2Thread1));

        assertThat(memoryIds(model, new TenantFilter(ORG_A, WORKSPACE, USER_1, null, null)))
                .containsExactlyInAnyOrder(memoryId(user1Thread1), memoryId(user1Thread2));
        assertThat(memoryIds(model, new TenantFilter(ORG_A, null, USER_1, null, THREAD_2)))
                .containsExactly(memoryId(user1Thread2));
        assertThat(memoryIds(model, new TenantFilter(ORG_A, null, null, null, THREAD_1)))
                .containsExactlyInAnyOrder(memoryId(user1Thread1), memoryId(user2Thread1));
        assertThat(store.count(model, DIMS, new TenantFilter(ORG_A, OTHER_WORKSPACE, null, null, null))).isZero();
        // no point has an agent, so narrowing by one finds nothing
        assertThat(store.count(model, DIMS, new TenantFilter(ORG_A, null, null, USER_1, null))).isZero();
    }

    @Test
    void aRedeliveredUpsertOverwritesInsteadOfAddingCopies() {
        String model = target.uniqueModel("redeliver", DIMS);
        VectorPoint first = point(ORG_A, USER_1, THREAD_1, "first", EAST);
        VectorPoint second = point(ORG_A, USER_1, THREAD_1, "second", NORTH);
        store.upsert(model, DIMS, List.of(first, second));

        store.upsert(model, DIMS, List.of(first, second));
        VectorPoint edited = new VectorPoint(first.id(), UP, withText(first.payload(), "first, edited"));
        store.upsert(model, DIMS, List.of(edited));

        assertThat(store.count(model, DIMS, TenantFilter.org(ORG_A))).isEqualTo(2);
        VectorHit top = store.search(model, DIMS, UP, TenantFilter.org(ORG_A), 1).get(0);
        assertThat(top.memoryId()).isEqualTo(memoryId(first));
        assertThat(top.payload().text()).isEqualTo("first, edited");
    }

    @Test
    void aVectorOfTheWrongSizeIsPermanentWithQdrantsReason() {
        String model = target.uniqueModel("size", DIMS);
        store.ensureCollection(model, DIMS);
        VectorPoint tooShort = point(ORG_A, USER_1, THREAD_1, "three numbers", new float[] {1, 0, 0});

        assertThatThrownBy(() -> store.upsert(model, DIMS, List.of(tooShort)))
                .isInstanceOf(PermanentJobException.class)
                .hasMessageContaining("INVALID_ARGUMENT")
                .hasMessageContaining("Vector dimension error: expected dim: 4, got 3");
        assertThatThrownBy(() -> store.search(model, DIMS, new float[] {1, 0, 0}, TenantFilter.org(ORG_A), 1))
                .isInstanceOf(PermanentJobException.class)
                .hasMessageContaining("Vector dimension error: expected dim: 4, got 3");
        assertThat(store.count(model, DIMS, TenantFilter.org(ORG_A))).isZero();
    }

    @Test
    void readingACollectionThatWasNeverWrittenFailsPermanentlyAndSaysWhich() {
        String model = target.uniqueModel("missing", DIMS);
        String collection = QdrantPoints.collectionName(model, DIMS);

        assertThatThrownBy(() -> store.search(model, DIMS, EAST, TenantFilter.org(ORG_A), 5))
                .isInstanceOf(PermanentJobException.class)
                .hasMessageContaining("NOT_FOUND")
                .hasMessageContaining("Collection `" + collection + "` doesn't exist!");
        assertThatThrownBy(() -> store.count(model, DIMS, TenantFilter.org(ORG_A)))
                .isInstanceOf(PermanentJobException.class)
                .hasMessageContaining(collection);
    }

    @Test
    void aCollectionDeletedUnderAWriteIsTransientAndRecreatedOnRetry() throws Exception {
        String model = target.uniqueModel("vanish", DIMS);
        store.ensureCollection(model, DIMS);
        store.client().deleteCollectionAsync(QdrantPoints.collectionName(model, DIMS)).get();
        VectorPoint memory = point(ORG_A, USER_1, THREAD_1, "survives", EAST);

        assertThatThrownBy(() -> store.upsert(model, DIMS, List.of(memory)))
                .isInstanceOf(TransientJobException.class)
                .hasMessageContaining("NOT_FOUND");
        store.upsert(model, DIMS, List.of(memory));

        assertThat(store.count(model, DIMS, TenantFilter.org(ORG_A))).isEqualTo(1);
        assertThat(info(model).getPayloadSchemaMap()).containsOnlyKeys(QdrantPoints.INDEXED_FIELDS);
    }

    @Test
    void anUnreachableOrSilentQdrantIsTransient() {
        String model = target.uniqueModel("network", DIMS);
        store.upsert(model, DIMS, List.of(point(ORG_A, USER_1, THREAD_1, "kept", EAST)));
        QdrantVectorStore.Options direct = target.options();
        try (TcpProxy proxy = TcpProxy.start(direct.host(), direct.port());
             QdrantVectorStore viaProxy = QdrantVectorStore.connect(new QdrantVectorStore.Options("127.0.0.1",
                     proxy.port(), direct.apiKey(), direct.tls(), SHORT_TIMEOUT))) {
            assertThat(viaProxy.count(model, DIMS, TenantFilter.org(ORG_A))).isEqualTo(1);

            proxy.freeze();
            assertThatThrownBy(() -> viaProxy.search(model, DIMS, EAST, TenantFilter.org(ORG_A), 1))
                    .isInstanceOf(TransientJobException.class)
                    .hasMessageContaining("DEADLINE_EXCEEDED");

            proxy.cut();
            assertThatThrownBy(() -> viaProxy.search(model, DIMS, EAST, TenantFilter.org(ORG_A), 1))
                    .isInstanceOf(TransientJobException.class)
                    .hasMessageContaining("UNAVAILABLE");
        }
    }

    @Test
    void aRefusedApiKeyIsTransientAndSaysSo() {
        // needs a server with a known key, so it always runs on its own double
        try (QdrantTestDouble keyed = QdrantTestDouble.startWithApiKey("right-key");
             QdrantVectorStore wrong = QdrantVectorStore.fromUrl(keyed.url(), "wrong-key");
             QdrantVectorStore right = QdrantVectorStore.fromUrl(keyed.url(), "right-key")) {
            assertThatThrownBy(() -> wrong.ensureCollection("keyed", DIMS))
                    .isInstanceOf(TransientJobException.class)
                    .hasMessageContaining("UNAUTHENTICATED")
                    .hasMessageContaining("Invalid API key or JWT")
                    .hasMessageContaining("API key of this worker");

            right.upsert("keyed", DIMS, List.of(point(ORG_A, USER_1, THREAD_1, "let in", EAST)));
            assertThat(right.count("keyed", DIMS, TenantFilter.org(ORG_A))).isEqualTo(1);
        }
    }

    @Test
    void optionsComeFromAUrl() {
        QdrantVectorStore.Options plain = QdrantVectorStore.Options.fromUrl("http://qdrant.internal:7334", " ");
        assertThat(plain.host()).isEqualTo("qdrant.internal");
        assertThat(plain.port()).isEqualTo(7334);
        assertThat(plain.tls()).isFalse();
        assertThat(plain.apiKey()).isNull();
        assertThat(plain.timeout()).isEqualTo(QdrantVectorStore.DEFAULT_TIMEOUT);

        QdrantVectorStore.Options secure = QdrantVectorStore.Options.fromUrl("https://cloud.example", "secret");
        assertThat(secure.port()).isEqualTo(QdrantVectorStore.DEFAULT_PORT);
        assertThat(secure.tls()).isTrue();
        assertThat(secure.apiKey()).isEqualTo("secret");
        assertThat(secure.toString()).doesNotContain("secret");

        assertThatThrownBy(() -> QdrantVectorStore.Options.fromUrl("qdrant.internal:6334", null))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(QdrantPoints.collectionName("BGE-M3 (int8)", 1024)).isEqualTo("mm_bge_m3_int8_1024");
    }

    // ---- the server behaviour the store relies on, through the raw client -----------------------------------

    @Test
    void pointIdsMustBeUuidsOrUnsignedIntegers() throws Exception {
        String collection = createRawCollection(target.uniqueModel("ids", DIMS));
        QdrantClient client = store.client();

        Throwable refused = failure(() -> client.upsertAsync(upsert(collection, true,
                PointId.newBuilder().setUuid("memory-1").build())).get());
        assertThat(status(refused).getCode()).isEqualTo(Status.Code.INVALID_ARGUMENT);
        assertThat(status(refused).getDescription()).isEqualTo("Unable to parse UUID: memory-1");

        client.upsertAsync(upsert(collection, true, id(42),
                PointId.newBuilder().setUuid("550E8400-E29B-41D4-A716-446655440000").build())).get();
        List<ScoredPoint> stored = client.queryAsync(QueryPoints.newBuilder()
                .setCollectionName(collection).setQuery(nearest(EAST)).build()).get();
        // Qdrant keeps the number as it is and prints a UUID in lower case, however it came in
        assertThat(stored).extracting(ScoredPoint::getId).containsExactlyInAnyOrder(id(42),
                PointId.newBuilder().setUuid("550e8400-e29b-41d4-a716-446655440000").build());
    }

    @Test
    void filtersFollowMustShouldAndMustNot() throws Exception {
        String model = target.uniqueModel("bool", DIMS);
        store.upsert(model, DIMS, List.of(
                point(ORG_A, USER_1, THREAD_1, "a", EAST),
                point(ORG_A, USER_2, THREAD_1, "b", EAST),
                point(ORG_A, USER_2, THREAD_2, "c", EAST),
                point(ORG_B, USER_1, THREAD_2, "d", EAST)));
        String collection = QdrantPoints.collectionName(model, DIMS);
        Condition orgA = matchKeyword(QdrantPoints.ORG_ID, ORG_A);
        Condition user1 = matchKeyword(QdrantPoints.USER_ID, USER_1);
        Condition user2 = matchKeyword(QdrantPoints.USER_ID, USER_2);
        Condition thread2 = matchKeyword(QdrantPoints.THREAD_ID, THREAD_2);

        assertThat(count(collection, Filter.newBuilder().addMust(orgA).addMust(user2).build())).isEqualTo(2);
        assertThat(count(collection, Filter.newBuilder().addShould(user1).addShould(thread2).build())).isEqualTo(3);
        assertThat(count(collection, Filter.newBuilder().addMust(orgA)
                .addShould(user1).addShould(user2).addMustNot(thread2).build())).isEqualTo(2);
        // a should that nothing satisfies excludes everything, even when must holds
        assertThat(count(collection, Filter.newBuilder().addMust(orgA)
                .addShould(matchKeyword(QdrantPoints.USER_ID, "nobody")).build())).isZero();
        assertThat(count(collection, Filter.newBuilder().addMustNot(orgA).build())).isEqualTo(1);
    }

    @Test
    void waitDecidesWhetherTheAnswerFollowsTheWrite() throws Exception {
        String collection = createRawCollection(target.uniqueModel("wait", DIMS));
        QdrantClient client = store.client();

        UpdateResult waited = client.upsertAsync(upsert(collection, true, id(1))).get();
        assertThat(waited.getStatus()).isEqualTo(UpdateStatus.Completed);
        assertThat(count(collection, Filter.getDefaultInstance())).isEqualTo(1);

        UpdateResult acknowledged = client.upsertAsync(upsert(collection, false, id(2))).get();
        assertThat(acknowledged.getStatus()).isEqualTo(UpdateStatus.Acknowledged);
        await().atMost(VISIBLE_WITHIN).until(() -> count(collection, Filter.getDefaultInstance()) == 2);
    }

    @Test
    void collectionsExistOnceAndCreatingOneAgainIsRefused() throws Exception {
        String collection = createRawCollection(target.uniqueModel("twice", DIMS));
        QdrantClient client = store.client();

        assertThat(client.collectionExistsAsync(collection).get()).isTrue();
        assertThat(client.collectionExistsAsync(collection + "_not_there").get()).isFalse();
        Throwable refused = failure(() -> client.createCollectionAsync(createRequest(collection)).get());
        assertThat(status(refused).getCode()).isEqualTo(Status.Code.ALREADY_EXISTS);
        assertThat(status(refused).getDescription())
                .isEqualTo("Wrong input: Collection `" + collection + "` already exists!");
    }

    // ---- support ---------------------------------------------------------------------------------------------

    private static VectorPoint point(String org, String user, String thread, String text, float[] vector) {
        UUID id = UUID.randomUUID();
        MemoryPayload payload = new MemoryPayload(org, WORKSPACE, user, null, thread, id.toString(), text, "memory",
                JOB_ID, CREATED_AT);
        return new VectorPoint(id, vector, payload);
    }

    private static MemoryPayload withText(MemoryPayload p, String text) {
        return new MemoryPayload(p.orgId(), p.workspaceId(), p.userId(), p.agentId(), p.threadId(), p.memoryId(),
                text, p.kind(), p.jobId(), p.createdAt());
    }

    private static String memoryId(VectorPoint point) {
        return point.id().toString();
    }

    private static List<String> memoryIds(String model, TenantFilter filter) {
        return store.search(model, DIMS, EAST, filter, 10).stream().map(VectorHit::memoryId).toList();
    }

    private static CollectionInfo info(String model) throws Exception {
        return store.client().getCollectionInfoAsync(QdrantPoints.collectionName(model, DIMS)).get();
    }

    private static String createRawCollection(String model) throws Exception {
        String collection = QdrantPoints.collectionName(model, DIMS);
        store.client().createCollectionAsync(createRequest(collection)).get();
        return collection;
    }

    private static CreateCollection createRequest(String collection) {
        return CreateCollection.newBuilder()
                .setCollectionName(collection)
                .setVectorsConfig(VectorsConfig.newBuilder()
                        .setParams(VectorParams.newBuilder().setSize(DIMS).setDistance(Distance.Cosine)))
                .build();
    }

    private static UpsertPoints upsert(String collection, boolean wait, PointId... ids) {
        UpsertPoints.Builder request = UpsertPoints.newBuilder().setCollectionName(collection).setWait(wait);
        for (PointId pointId : ids) {
            request.addPoints(PointStruct.newBuilder().setId(pointId).setVectors(vectors(EAST)));
        }
        return request.build();
    }

    private static long count(String collection, Filter filter) throws Exception {
        return store.client().countAsync(collection, filter, true).get();
    }

    private static Throwable failure(ThrowingCall call) {
        try {
            call.run();
        } catch (ExecutionException e) {
            return e.getCause();
        } catch (Exception e) {
            return e;
        }
        throw new AssertionError("the call succeeded");
    }

    private static Status status(Throwable failure) {
        assertThat(failure).isInstanceOf(StatusRuntimeException.class);
        return Status.fromThrowable(failure);
    }

    @FunctionalInterface
    private interface ThrowingCall {
        void run() throws Exception;
    }
}
