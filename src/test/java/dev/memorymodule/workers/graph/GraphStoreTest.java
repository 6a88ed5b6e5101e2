package dev.memorymodule.workers.graph;

import dev.memorymodule.workers.graph.GraphStore.WriteResult;
import dev.memorymodule.workers.graph.MemoryGraphBatch.Memory;
import dev.memorymodule.workers.job.TransientJobException;
import dev.memorymodule.workers.testsupport.Neo4jServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.neo4j.driver.Driver;
import org.neo4j.driver.Record;
import org.neo4j.driver.Session;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Collectors;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

@Timeout(300)
class GraphStoreTest {

    private static final String ORG = "11111111-0000-4000-8000-000000000001";
    private static final String OTHER_ORG = "22222222-0000-4000-8000-000000000002";
    private static final String WORKSPACE = "11111111-0000-4000-8000-0000000000a1";
    private static final String USER = "11111111-0000-4000-8000-0000000000b1";
    private static final String AGENT = "11111111-0000-4000-8000-0000000000c1";
    private static final String THREAD = "11111111-0000-4000-8000-0000000000d1";
    private static final String EVENT = "11111111-0000-4000-8000-0000000000e1";
    private static final String JOB = "01JB2C3D4E5F6G7H8J9K0M1N2P";
    private static final String LATER_JOB = "01JB2C3D4E5F6G7H8J9K0M1N2Q";
    private static final Instant CREATED = Instant.parse("2026-12-01T09:00:00Z");
    private static final String KIND = "memory";
    private static final int WORKERS = 4;

    // short, so that an unreachable server fails a write in seconds instead of the driver's default 30
    private static final Duration RETRY_TIME = Duration.ofSeconds(2);
    private static final Duration CONNECTION_TIMEOUT = Duration.ofSeconds(1);

    private static Neo4jServer neo4j;
    private static Driver inspector;
    private static GraphStore store;

    @BeforeAll
    static void startNeo4j() {
        neo4j = Neo4jServer.start();
        Neo4jOptions options = Neo4jOptions.builder(neo4j.url())
                .maxRetryTime(RETRY_TIME)
                .connectionTimeout(CONNECTION_TIMEOUT)
                .build();
        inspector = options.openDriver();
        store = GraphStore.open(options);
        store.ensureSchema();
    }

    @AfterAll
    static void stopNeo4j() {
        store.close();
        inspector.close();
        neo4j.close();
    }

    @BeforeEach
    void emptyGraph() {
        query("MATCH (n) DETACH DELETE n");
    }

    @Test
    void ensureSchemaMakesIdUniquePerOrgAndLabelAndMayRunAgain() {
        store.ensureSchema();

        List<Record> constraints = query("SHOW CONSTRAINTS YIELD type, labelsOrTypes, properties "
                + "RETURN type, labelsOrTypes[0] AS label, properties");

        assertThat(constraints).hasSize(GraphStore.LABELS.size());
        assertThat(constraints).allSatisfy(row -> {
            assertThat(row.get("type").asString()).contains("UNIQUENESS");
            assertThat(row.get("properties").asList()).containsExactly("id", "org_id");
        });
        assertThat(constraints).extracting(row -> row.get("label").asString())
                .containsExactlyInAnyOrderElementsOf(GraphStore.LABELS);
    }

    @Test
    void workersSettingUpTheSchemaAtOnceAllSucceed() throws Exception {
        for (Record constraint : query("SHOW CONSTRAINTS YIELD name")) {
            query("DROP CONSTRAINT " + constraint.get("name").asString());
        }
        ExecutorService workers = Executors.newFixedThreadPool(WORKERS);
        try {
            List<Future<?>> setUps = new ArrayList<>();
            for (int i = 0; i < WORKERS; i++) {
                setUps.add(workers.submit(() -> new GraphStore(inspector, Neo4jOptions.DEFAULT_DATABASE)
                        .ensureSchema()));
            }
            for (Future<?> setUp : setUps) {
                setUp.get();
            }
        } finally {
            workers.shutdownNow();
        }

        assertThat(query("SHOW CONSTRAINTS")).hasSize(GraphStore.LABELS.size());
    }

    @Test
    void aBatchWritesTheTenantTreeAndTheMemoryRelations() {
        WriteResult result = store.writeMemories(fullBatch(ORG, "first", "second"));

        assertThat(result.memories()).isEqualTo(2);
        assertThat(result.nodesCreated()).isEqualTo(8);
        assertThat(result.relationshipsCreated()).isEqualTo(17);
        assertThat(relations()).containsExactlyInAnyOrder(
                "Org " + ORG + " HAS_WORKSPACE Workspace " + WORKSPACE,
                "Workspace " + WORKSPACE + " HAS_USER User " + USER,
                "Workspace " + WORKSPACE + " HAS_AGENT Agent " + AGENT,
                "Workspace " + WORKSPACE + " HAS_THREAD Thread " + THREAD,
                "Agent " + AGENT + " ASSISTS User " + USER,
                "User " + USER + " PARTICIPATES_IN Thread " + THREAD,
                "Agent " + AGENT + " PARTICIPATES_IN Thread " + THREAD,
                "Workspace " + WORKSPACE + " HAS_MEMORY Memory " + memoryId(ORG, 0),
                "Workspace " + WORKSPACE + " HAS_MEMORY Memory " + memoryId(ORG, 1),
                "Memory " + memoryId(ORG, 0) + " IN_THREAD Thread " + THREAD,
                "Memory " + memoryId(ORG, 1) + " IN_THREAD Thread " + THREAD,
                "Agent " + AGENT + " REMEMBERED Memory " + memoryId(ORG, 0),
                "Agent " + AGENT + " REMEMBERED Memory " + memoryId(ORG, 1),
                "Memory " + memoryId(ORG, 0) + " ABOUT User " + USER,
                "Memory " + memoryId(ORG, 1) + " ABOUT User " + USER,
                "Event " + EVENT + " PRODUCED Memory " + memoryId(ORG, 0),
                "Event " + EVENT + " PRODUCED Memory " + memoryId(ORG, 1));
        assertThat(query("MATCH (n) WHERE n.org_id <> $org OR n.org_id IS NULL RETURN n", Map.of("org", ORG)))
                .as("nodes without the batch's org").isEmpty();

        Record memory = query("MATCH (m:Memory {id: $id}) RETURN m", Map.of("id", memoryId(ORG, 1))).get(0);
        assertThat(memory.get("m").asMap()).containsEntry("text", "second")
                .containsEntry("kind", KIND)
                .containsEntry("job_id", JOB)
                .containsEntry("position", 1L);
        assertThat(memory.get("m").get("created_at").asZonedDateTime().toInstant()).isEqualTo(CREATED);
    }

    @Test
    void writingTheSameBatchAgainChangesNothing() {
        MemoryGraphBatch batch = fullBatch(ORG, "first", "second");
        store.writeMemories(batch);
        long nodes = count("MATCH (n) RETURN count(n)");
        long relations = count("MATCH ()-[r]->() RETURN count(r)");

        WriteResult again = store.writeMemories(batch);

        assertThat(again.memories()).isEqualTo(2);
        assertThat(again.nodesCreated()).isZero();
        assertThat(again.relationshipsCreated()).isZero();
        assertThat(count("MATCH (n) RETURN count(n)")).isEqualTo(nodes);
        assertThat(count("MATCH ()-[r]->() RETURN count(r)")).isEqualTo(relations);
    }

    @Test
    void aBatchWithoutScopeHangsItsMemoriesUnderTheOrg() {
        MemoryGraphBatch batch = new MemoryGraphBatch(ORG, null, null, null, null, null,
                List.of(memory(ORG, 0, "just the org", JOB, CREATED)));

        WriteResult result = store.writeMemories(batch);

        assertThat(result.nodesCreated()).isEqualTo(2);
        assertThat(relations()).containsExactly("Org " + ORG + " HAS_MEMORY Memory " + memoryId(ORG, 0));
    }

    @Test
    void aThreadIsReadOnlyByItsOwnOrg() {
        store.writeMemories(fullBatch(ORG, "org A's secret"));

        assertThat(store.memoriesOfThread(OTHER_ORG, THREAD, 10)).isEmpty();
        assertThat(store.memoriesOfThread(ORG, THREAD, 10)).extracting(ThreadMemory::text)
                .containsExactly("org A's secret");
    }

    @Test
    void theSameIdsInAnotherOrgMakeNodesOfTheirOwnAndNeverJoinTheGraphs() {
        store.writeMemories(fullBatch(ORG, "org A's memory"));
        // org B names the same workspace, user, agent, thread and event ids: it gets nodes of its own
        store.writeMemories(new MemoryGraphBatch(OTHER_ORG, WORKSPACE, USER, AGENT, THREAD, EVENT,
                List.of(memory(OTHER_ORG, 0, "org B's memory", JOB, CREATED))));

        assertThat(count("MATCH (t:Thread {id: '" + THREAD + "'}) RETURN count(t)")).isEqualTo(2);
        assertThat(count("MATCH (a {org_id: '" + ORG + "'})-[]-(b) WHERE b.org_id <> a.org_id "
                + "RETURN count(*)")).isZero();
        assertThat(store.memoriesOfThread(OTHER_ORG, THREAD, 10)).extracting(ThreadMemory::text)
                .containsExactly("org B's memory");
        assertThat(store.memoriesOfThread(ORG, THREAD, 10)).extracting(ThreadMemory::text)
                .containsExactly("org A's memory");
    }

    @Test
    void memoriesOfThreadGivesTheNewestOnesOldestFirst() {
        Instant later = CREATED.plusSeconds(60);
        store.writeMemories(fullBatch(ORG, "one", "two"));
        store.writeMemories(new MemoryGraphBatch(ORG, WORKSPACE, USER, AGENT, THREAD, null,
                List.of(memory(ORG, 2, "three", LATER_JOB, later), memory(ORG, 3, "four", LATER_JOB, later))));

        List<ThreadMemory> newest = store.memoriesOfThread(ORG, THREAD, 3);

        assertThat(newest).extracting(ThreadMemory::text).containsExactly("two", "three", "four");
        assertThat(newest.get(2).id()).isEqualTo(memoryId(ORG, 3));
        assertThat(newest.get(2).kind()).isEqualTo(KIND);
        assertThat(newest.get(2).createdAt()).isEqualTo(later);
        assertThat(store.memoriesOfThread(ORG, THREAD, 10)).hasSize(4);
    }

    @Test
    void hostileStringsAreStoredVerbatimAndRunNothing() {
        store.writeMemories(fullBatch(OTHER_ORG, "a bystander's memory"));
        long bystanders = count("MATCH (n {org_id: '" + OTHER_ORG + "'}) RETURN count(n)");
        String hostileText = "'}) DETACH DELETE n //";
        String hostileId = "x'}) MATCH (n) DETACH DELETE n //";
        String hostileThread = "$thread_id";
        String hostileOrg = "` MATCH (n) DETACH DELETE n //";
        MemoryGraphBatch batch = new MemoryGraphBatch(hostileOrg, "$org_id", "\"}) RETURN 1 //", null,
                hostileThread, null, List.of(
                        new Memory(hostileId, hostileText, KIND, JOB, CREATED, 0),
                        new Memory("$param", "$param", "$kind", "{{job}}", CREATED, 1)));

        store.writeMemories(batch);

        assertThat(count("MATCH (n {org_id: '" + OTHER_ORG + "'}) RETURN count(n)")).isEqualTo(bystanders);
        assertThat(store.memoriesOfThread(hostileOrg, hostileThread, 10))
                .extracting(ThreadMemory::id, ThreadMemory::text)
                .containsExactly(tuple(hostileId, hostileText),
                        tuple("$param", "$param"));
        assertThat(query("MATCH (w:Workspace {org_id: $org}) RETURN w.id AS id", Map.of("org", hostileOrg)))
                .extracting(row -> row.get("id").asString()).containsExactly("$org_id");
    }

    @Test
    void unreachableNeo4jIsTransientAndTheWriteSucceedsOnceItIsBack() {
        MemoryGraphBatch batch = fullBatch(ORG, "written after the outage");
        // a crash rather than a clean stop: the harder case, and much quicker on a busy machine
        neo4j.kill();
        try {
            assertThatThrownBy(() -> store.writeMemories(batch)).isInstanceOf(TransientJobException.class);
        } finally {
            neo4j.resume();
        }

        WriteResult result = store.writeMemories(batch);

        assertThat(result.memories()).isEqualTo(1);
        assertThat(store.memoriesOfThread(ORG, THREAD, 10)).extracting(ThreadMemory::text)
                .containsExactly("written after the outage");
    }

    @Test
    void memoriesOfThreadRefusesALimitBelowOne() {
        assertThatThrownBy(() -> store.memoriesOfThread(ORG, THREAD, 0)).isInstanceOf(IllegalArgumentException.class);
    }

    private static MemoryGraphBatch fullBatch(String org, String... texts) {
        List<Memory> memories = new ArrayList<>();
        for (int i = 0; i < texts.length; i++) {
            memories.add(memory(org, i, texts[i], JOB, CREATED));
        }
        boolean ownOrg = ORG.equals(org);
        // the other org gets ids of its own here; one test gives it the same ids on purpose
        return new MemoryGraphBatch(org, ownOrg ? WORKSPACE : scoped(org, "ws"), ownOrg ? USER : scoped(org, "user"),
                ownOrg ? AGENT : scoped(org, "agent"), ownOrg ? THREAD : scoped(org, "thread"),
                ownOrg ? EVENT : scoped(org, "event"), memories);
    }

    private static Memory memory(String org, int position, String text, String job, Instant createdAt) {
        return new Memory(memoryId(org, position), text, KIND, job, createdAt, position);
    }

    private static String memoryId(String org, int position) {
        return scoped(org, "memory-" + position);
    }

    private static String scoped(String org, String name) {
        return UUID.nameUUIDFromBytes((org + "|" + name).getBytes(StandardCharsets.UTF_8)).toString();
    }

    private static Set<String> relations() {
        return query("MATCH (a)-[r]->(b) RETURN labels(a)[0] + ' ' + a.id + ' ' + type(r) + ' ' + labels(b)[0] "
                + "+ ' ' + b.id AS relation").stream()
                .map(row -> row.get("relation").asString())
                .collect(Collectors.toSet());
    }

    private static long count(String statement) {
        return query(statement).get(0).get(0).asLong();
    }

    private static List<Record> query(String statement) {
        return query(statement, Map.of());
    }

    private static List<Record> query(String statement, Map<String, Object> parameters) {
        try (Session session = inspector.session()) {
            return session.run(statement, parameters).list();
        }
    }
}
