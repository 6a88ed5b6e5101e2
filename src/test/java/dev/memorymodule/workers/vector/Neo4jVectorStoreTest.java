package dev.memorymodule.workers.vector;

import dev.memorymodule.workers.graph.Neo4jOptions;
import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.testsupport.Neo4jServer;
import dev.memorymodule.workers.vector.Neo4jVectorStore.SearchLimits;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.neo4j.driver.Driver;
import org.neo4j.driver.Session;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

@Timeout(300)
class Neo4jVectorStoreTest {

    private static final String MODEL = "all-minilm-l6-v2";
    // a model name as the job schema spells one: a slash and a dot inside
    private static final String SCHEMA_MODEL = "cohere/embed-multilingual-v3.0";
    private static final int DIMS = 16;
    private static final String ORG_A = "aaaaaaaa-0000-4000-8000-000000000001";
    private static final String ORG_B = "bbbbbbbb-0000-4000-8000-000000000002";
    private static final String ORG_C = "cccccccc-0000-4000-8000-000000000003";
    private static final String WS_1 = "aaaaaaaa-0000-4000-8000-0000000000a1";
    private static final String WS_2 = "aaaaaaaa-0000-4000-8000-0000000000a2";
    private static final String USER_1 = "aaaaaaaa-0000-4000-8000-0000000000b1";
    private static final String USER_2 = "aaaaaaaa-0000-4000-8000-0000000000b2";
    private static final String AGENT = "aaaaaaaa-0000-4000-8000-0000000000c1";
    private static final String THREAD = "aaaaaaaa-0000-4000-8000-0000000000d1";
    private static final String JOB = "01JB2C3D4E5F6G7H8J9K0M1N2P";
    private static final String CREATED = "2026-12-01T09:00:00Z";
    private static final float[] QUERY = axis(0);
    private static final int CROWD = 50;
    private static final int WORKERS = 4;
    private static final long SEED = 42;
    // stored vectors are float32, and cosine is computed from them
    private static final double SCORE_TOLERANCE = 1e-5;

    private static Neo4jServer neo4j;
    private static Driver driver;
    private static Neo4jVectorStore store;

    @BeforeAll
    static void startNeo4j() {
        neo4j = Neo4jServer.start();
        driver = Neo4jOptions.builder(neo4j.url()).build().openDriver();
        store = new Neo4jVectorStore(driver, Neo4jOptions.DEFAULT_DATABASE);
        store.ensureCollection(MODEL, DIMS);
    }

    @AfterAll
    static void stopNeo4j() {
        store.close();
        driver.close();
        neo4j.close();
    }

    @BeforeEach
    void removeAllPoints() {
        try (Session session = driver.session()) {
            session.run("MATCH (n) DETACH DELETE n").consume();
        }
    }

    @Test
    void ensureCollectionLeavesAnOnlineCosineIndexAndMayRunAgain() {
        store.ensureCollection(MODEL, DIMS);

        try (Session session = driver.session()) {
            var index = session.run("SHOW VECTOR INDEXES YIELD name, state, labelsOrTypes, options "
                    + "WHERE name = $name RETURN state, labelsOrTypes[0] AS label, options",
                    Map.of("name", "mm_vector_" + MODEL + "_" + DIMS)).single();
            assertThat(index.get("state").asString()).isEqualTo("ONLINE");
            assertThat(index.get("label").asString()).isEqualTo("MemoryVector_" + MODEL + "_" + DIMS);
            assertThat(index.get("options").get("indexConfig").asMap())
                    .containsEntry("vector.dimensions", (long) DIMS)
                    .containsEntry("vector.similarity_function", "COSINE");
        }
    }

    @Test
    void workersEnsuringTheSameNewIndexAtOnceAllSucceed() throws Exception {
        String model = "started-together";
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
        try {
            List<Future<?>> ensured = new ArrayList<>();
            for (int i = 0; i < WORKERS; i++) {
                // a store each, as in separate worker processes: none has seen the index yet
                Neo4jVectorStore own = new Neo4jVectorStore(driver, Neo4jOptions.DEFAULT_DATABASE);
                ensured.add(workers.submit(() -> own.ensureCollection(model, DIMS)));
            }
            for (Future<?> future : ensured) {
                future.get();
            }
        } finally {
            workers.shutdownNow();
        }

        assertThat(store.count(model, DIMS, TenantFilter.org(ORG_A))).isZero();
    }

    @Test
    void searchGivesTheNearestFirstWithCosineScoresAndTheirPayload() {
        store.upsert(MODEL, DIMS, List.of(
                point(ORG_A, 0, "far", near(-0.3, 1)),
                point(ORG_A, 1, "'}) DETACH DELETE n //", near(0.9, 2)),
                point(ORG_A, 2, "middle", near(0.5, 3)),
                point(ORG_A, 3, "close to orthogonal", near(0.1, 4))));

        List<VectorHit> hits = store.search(MODEL, DIMS, QUERY, TenantFilter.org(ORG_A), 3);

        assertThat(hits).extracting(VectorHit::memoryId).containsExactly(id(ORG_A, 1), id(ORG_A, 2), id(ORG_A, 3));
        assertThat(hits.get(0).score()).isCloseTo(0.9, within(SCORE_TOLERANCE));
        assertThat(hits.get(1).score()).isCloseTo(0.5, within(SCORE_TOLERANCE));
        assertThat(hits.get(2).score()).isCloseTo(0.1, within(SCORE_TOLERANCE));
        assertThat(hits.get(0).payload()).isEqualTo(payload(ORG_A, 1, "'}) DETACH DELETE n //"));
        assertThat(store.search(MODEL, DIMS, QUERY, TenantFilter.org(ORG_A), 10)).hasSize(4)
                .last().satisfies(hit -> assertThat(hit.score()).isCloseTo(-0.3, within(SCORE_TOLERANCE)));
    }

    @Test
    void anotherOrgsNearerVectorsNeverShowAndNeverHideTheOrgsOwn() {
        store.upsert(MODEL, DIMS, crowdOf(ORG_B));
        store.upsert(MODEL, DIMS, List.of(
                point(ORG_A, 0, "a", near(0.6, 1)),
                point(ORG_A, 1, "b", near(0.4, 2)),
                point(ORG_A, 2, "c", near(0.2, 3))));
        List<String> expected = List.of(id(ORG_A, 0), id(ORG_A, 1), id(ORG_A, 2));

        // the defaults find them in the first round; tiny limits force more rounds, then the exact scan
        List<SearchLimits> limits = List.of(SearchLimits.DEFAULT, new SearchLimits(4, 1, 4, 64),
                new SearchLimits(4, 1, 2, 16));
        for (SearchLimits limit : limits) {
            Neo4jVectorStore limited = new Neo4jVectorStore(driver, Neo4jOptions.DEFAULT_DATABASE, limit);

            List<VectorHit> hits = limited.search(MODEL, DIMS, QUERY, TenantFilter.org(ORG_A), 3);

            assertThat(hits).as("with %s", limit).extracting(VectorHit::memoryId).containsExactlyElementsOf(expected);
            assertThat(hits).extracting(hit -> hit.payload().orgId()).containsOnly(ORG_A);
            assertThat(hits.get(0).score()).isCloseTo(0.6, within(SCORE_TOLERANCE));
        }
        assertThat(store.search(MODEL, DIMS, QUERY, TenantFilter.org(ORG_B), 100))
                .hasSize(CROWD)
                .extracting(hit -> hit.payload().orgId()).containsOnly(ORG_B);
        assertThat(store.search(MODEL, DIMS, QUERY, TenantFilter.org(ORG_C), 3)).isEmpty();
    }

    @Test
    void scopeNarrowsTheSearchAndTheCount() {
        store.upsert(MODEL, DIMS, List.of(
                scoped(0, WS_1, USER_1, AGENT, THREAD),
                scoped(1, WS_1, USER_1, null, null),
                scoped(2, WS_1, USER_2, AGENT, null),
                scoped(3, WS_2, USER_1, null, null)));

        assertThat(searchIds(new TenantFilter(ORG_A, WS_1, null, null, null))).containsExactly(id(ORG_A, 0),
                id(ORG_A, 1), id(ORG_A, 2));
        assertThat(searchIds(new TenantFilter(ORG_A, null, USER_1, null, null))).containsExactly(id(ORG_A, 0),
                id(ORG_A, 1), id(ORG_A, 3));
        assertThat(searchIds(new TenantFilter(ORG_A, WS_1, null, AGENT, null))).containsExactly(id(ORG_A, 0),
                id(ORG_A, 2));
        assertThat(searchIds(new TenantFilter(ORG_A, null, null, null, THREAD))).containsExactly(id(ORG_A, 0));
        assertThat(searchIds(new TenantFilter(ORG_B, WS_1, null, null, null))).isEmpty();
        assertThat(store.count(MODEL, DIMS, TenantFilter.org(ORG_A))).isEqualTo(4);
        assertThat(store.count(MODEL, DIMS, new TenantFilter(ORG_A, WS_1, USER_1, null, null))).isEqualTo(2);
        assertThat(store.count(MODEL, DIMS, TenantFilter.org(ORG_B))).isZero();
    }

    @Test
    void upsertingAgainKeepsTheCountAndTakesTheNewPayload() {
        store.upsert(MODEL, DIMS, List.of(point(ORG_A, 0, "old", near(0.8, 1)), point(ORG_A, 1, "other",
                near(0.2, 2))));

        store.upsert(MODEL, DIMS, List.of(point(ORG_A, 0, "new", near(0.8, 1)), point(ORG_A, 1, "other",
                near(0.2, 2))));

        assertThat(store.count(MODEL, DIMS, TenantFilter.org(ORG_A))).isEqualTo(2);
        assertThat(store.search(MODEL, DIMS, QUERY, TenantFilter.org(ORG_A), 1).get(0).payload().text())
                .isEqualTo("new");
    }

    @Test
    void eachModelHasItsOwnIndex() {
        store.upsert(SCHEMA_MODEL, DIMS, List.of(point(ORG_A, 0, "in the other model", near(0.7, 1))));

        assertThat(store.count(SCHEMA_MODEL, DIMS, TenantFilter.org(ORG_A))).isEqualTo(1);
        assertThat(store.count(MODEL, DIMS, TenantFilter.org(ORG_A))).isZero();
        assertThat(store.search(SCHEMA_MODEL, DIMS, QUERY, TenantFilter.org(ORG_A), 5))
                .extracting(hit -> hit.payload().text()).containsExactly("in the other model");
        assertThat(store.search(MODEL, DIMS, QUERY, TenantFilter.org(ORG_A), 5)).isEmpty();
    }

    @Test
    void wrongDimensionsAndUnsafeModelNamesArePermanent() {
        VectorPoint shortPoint = point(ORG_A, 0, "too short", new float[DIMS - 1]);

        assertThatThrownBy(() -> store.upsert(MODEL, DIMS, List.of(shortPoint)))
                .isInstanceOf(PermanentJobException.class).hasMessageContaining("15 dimensions");
        assertThatThrownBy(() -> store.search(MODEL, DIMS, new float[8], TenantFilter.org(ORG_A), 3))
                .isInstanceOf(PermanentJobException.class);
        assertThatThrownBy(() -> store.ensureCollection(MODEL, 0)).isInstanceOf(PermanentJobException.class);
        assertThatThrownBy(() -> store.ensureCollection(MODEL, Neo4jVectorStore.MAX_DIMS + 1))
                .isInstanceOf(PermanentJobException.class);
        assertThatThrownBy(() -> store.ensureCollection("x` MATCH (n) DETACH DELETE n //", DIMS))
                .isInstanceOf(PermanentJobException.class);
        assertThat(store.count(MODEL, DIMS, TenantFilter.org(ORG_A))).isZero();
    }

    private static List<String> searchIds(TenantFilter filter) {
        return store.search(MODEL, DIMS, QUERY, filter, 10).stream().map(VectorHit::memoryId).toList();
    }

    /** Points of one org packed around the query, nearer to it than anything the test's other org has. */
    private static List<VectorPoint> crowdOf(String org) {
        Random random = new Random(SEED);
        List<VectorPoint> crowd = new ArrayList<>();
        for (int i = 0; i < CROWD; i++) {
            float[] vector = axis(0);
            for (int d = 1; d < DIMS; d++) {
                vector[d] = (float) (random.nextGaussian() * 0.02);
            }
            crowd.add(point(org, i, "crowd " + i, unit(vector)));
        }
        return crowd;
    }

    // the cosine with the query falls as n grows, so hits come in the order of n
    private static VectorPoint scoped(int n, String workspace, String user, String agent, String thread) {
        MemoryPayload payload = new MemoryPayload(ORG_A, workspace, user, agent, thread, id(ORG_A, n), "memory " + n,
                "memory", JOB, CREATED);
        return new VectorPoint(UUID.fromString(id(ORG_A, n)), near(0.9 - 0.2 * n, n + 1), payload);
    }

    private static VectorPoint point(String org, int n, String text, float[] vector) {
        return new VectorPoint(UUID.fromString(id(org, n)), vector, payload(org, n, text));
    }

    private static MemoryPayload payload(String org, int n, String text) {
        return new MemoryPayload(org, WS_1, USER_1, AGENT, THREAD, id(org, n), text, "memory", JOB, CREATED);
    }

    private static String id(String org, int n) {
        return UUID.nameUUIDFromBytes((org + "|" + n).getBytes(StandardCharsets.UTF_8)).toString();
    }

    /** A unit vector whose cosine with the query (axis 0) is {@code cosine}, leaning towards {@code otherAxis}. */
    private static float[] near(double cosine, int otherAxis) {
        float[] vector = new float[DIMS];
        vector[0] = (float) cosine;
        vector[otherAxis] = (float) Math.sqrt(1 - cosine * cosine);
        return vector;
    }

    private static float[] axis(int axis) {
        float[] vector = new float[DIMS];
        vector[axis] = 1;
        return vector;
    }

    private static float[] unit(float[] vector) {
        double norm = 0;
        for (float v : vector) {
            norm += v * v;
        }
        for (int i = 0; i < vector.length; i++) {
            vector[i] = (float) (vector[i] / Math.sqrt(norm));
        }
        return vector;
    }
}
