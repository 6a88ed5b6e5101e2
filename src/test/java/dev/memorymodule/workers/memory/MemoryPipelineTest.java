package dev.memorymodule.workers.memory;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseJob;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static dev.memorymodule.workers.testsupport.WorkerHarness.fresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.graph.GraphStore;
import dev.memorymodule.workers.graph.Neo4jOptions;
import dev.memorymodule.workers.testsupport.Neo4jServer;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.vector.Neo4jVectorStore;
import dev.memorymodule.workers.vector.TenantFilter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.neo4j.driver.Driver;

/**
 * The memory job types on real stores: PostgreSQL rows, Neo4j's graph and vector index, real embeddings. The
 * case jobs run in their order (index, then the two retrieves); the other tests use orgs of their own.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MemoryPipelineTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(60);
    private static final String ORG = "550e8400-e29b-41d4-a716-446655440000";
    private static final String MODEL = "all-minilm-l6-v2";
    private static final int DIMS = 384;

    private WorkerHarness harness;
    private Neo4jServer neo4j;
    private JobClient client;
    private Driver driver;
    private Neo4jVectorStore vectors;

    @BeforeAll
    void start() throws Exception {
        neo4j = Neo4jServer.start();
        harness = new WorkerHarness();
        harness.startWorker(Map.of("mm.worker.job-types", "embed,retrieve,summarize,qdrant_upsert,pg_write,"
                + "neo4j_write,index", "mm.neo4j.url", neo4j.url(), "mm.vector.backend", "neo4j",
                "mm.consumer.max-deliver", "50"));
        client = new JobClient(harness.connection(), "mm.events.job");
        Neo4jOptions options = Neo4jOptions.builder(neo4j.url()).build();
        driver = options.openDriver();
        vectors = Neo4jVectorStore.open(options);
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable resource : new AutoCloseable[] { vectors, driver, client, harness, neo4j }) {
            if (resource != null) {
                resource.close();
            }
        }
    }

    private JsonNode run(byte[] payload) throws Exception {
        String jobId = client.jobId(payload);
        client.watch(jobId);
        client.publish(payload);
        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event).as("outcome of %s", jobId).isNotNull();
        return event;
    }

    private JsonNode republish(ObjectNode job) throws Exception {
        String jobId = job.path("job_id").asText();
        client.watch(jobId);
        // no Nats-Msg-Id: as a publisher would after the server's duplicate window
        harness.connection().jetStream().publish("mm.offline." + job.path("type").asText() + ".A.cpu", bytes(job));
        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event).isNotNull();
        return event;
    }

    private long rows(String org) {
        return harness.database().count("SELECT count(*) FROM memories WHERE org_id = ?::uuid", org);
    }

    private long memoryNodes(String org) {
        try (var session = driver.session()) {
            return session.run("MATCH (m:Memory {org_id: $org}) RETURN count(m) AS n", Map.of("org", org))
                    .single().get("n").asLong();
        }
    }

    private long graphSize() {
        try (var session = driver.session()) {
            return session.run("MATCH (n) OPTIONAL MATCH (n)-[r]->() RETURN count(DISTINCT n) + count(r) AS n")
                    .single().get("n").asLong();
        }
    }

    private long vectorsOf(String org) {
        return vectors.count(MODEL, DIMS, TenantFilter.org(org));
    }

    @Test
    @Order(1)
    void indexJobStoresThreeMemoriesInEveryStoreUnderItsTenantAndScope() throws Exception {
        JsonNode event = run(caseJob("02-index-three-memories.json"));

        assertThat(event.path("event").asText()).isEqualTo("completed");
        JsonNode result = event.path("result");
        assertThat(result.path("memory_ids")).hasSize(3);
        assertThat(result.path("rows_written").asInt()).isEqualTo(3);
        assertThat(result.path("vectors_upserted").asInt()).isEqualTo(3);
        assertThat(result.path("vector_store").asText()).isEqualTo("neo4j");
        assertThat(harness.database().count("SELECT count(*) FROM memories WHERE org_id = ?::uuid "
                + "AND workspace_id = '660e8400-e29b-41d4-a716-446655440000' "
                + "AND user_id = '770e8400-e29b-41d4-a716-446655440000' "
                + "AND agent_id = '880e8400-e29b-41d4-a716-446655440000' "
                + "AND thread_id = '990e8400-e29b-41d4-a716-446655440000'", ORG)).isEqualTo(3);
        assertThat(vectorsOf(ORG)).isEqualTo(3);
        assertThat(memoryNodes(ORG)).isEqualTo(3);
        try (var session = driver.session()) {
            long linked = session.run("""
                    MATCH (:Org {id: $org})-[*1..3]-(t:Thread {id: '990e8400-e29b-41d4-a716-446655440000'})
                    MATCH (m:Memory {org_id: $org})-[]-(t) RETURN count(DISTINCT m) AS n""", Map.of("org", ORG))
                    .single().get("n").asLong();
            assertThat(linked).isEqualTo(3);
        }
    }

    @Test
    @Order(2)
    void publishingTheIndexJobAgainChangesNothingAndIsADuplicate() throws Exception {
        long graphBefore = graphSize();
        assertThat(client.publish(caseJob("02-index-three-memories.json")).duplicate()).isTrue();

        JsonNode event = republish(caseTree("02-index-three-memories.json"));

        assertThat(event.path("event").asText()).isEqualTo("duplicate");
        assertThat(rows(ORG)).isEqualTo(3);
        assertThat(vectorsOf(ORG)).isEqualTo(3);
        assertThat(memoryNodes(ORG)).isEqualTo(3);
        assertThat(graphSize()).isEqualTo(graphBefore);
    }

    @Test
    @Order(3)
    void retrieveInTheSameOrgRanksTheTeaMemoryFirst() throws Exception {
        JsonNode event = run(caseJob("03-retrieve-same-org.json"));

        assertThat(event.path("event").asText()).isEqualTo("completed");
        JsonNode hits = event.path("result").path("hits");
        assertThat(hits.size()).isBetween(1, 5);
        assertThat(hits.get(0).path("text").asText()).containsAnyOf("green tea", "зелений чай");
        assertThat(hits.get(0).path("score").asDouble()).isGreaterThan(hits.get(hits.size() - 1).path("score")
                .asDouble());
        assertThat(hits.get(0).path("scope").path("thread_id").asText())
                .isEqualTo("990e8400-e29b-41d4-a716-446655440000");
        assertThat(hits.get(0).has("memory_id")).isTrue();
    }

    @Test
    @Order(4)
    void retrieveFromAnotherOrgFindsNothingAtAll() throws Exception {
        JsonNode event = run(caseJob("04-retrieve-other-org.json"));

        assertThat(event.path("event").asText()).isEqualTo("completed");
        assertThat(event.path("result").path("hits")).isEmpty();
    }

    @Test
    void retrieveNarrowedByScopeOnlySeesThatThread() throws Exception {
        String org = UUID.randomUUID().toString();
        String threadA = UUID.randomUUID().toString();
        String threadB = UUID.randomUUID().toString();
        assertThat(run(bytes(index(org, threadA, "The user drinks black coffee at noon."))).path("event").asText())
                .isEqualTo("completed");
        assertThat(run(bytes(index(org, threadB, "The user drinks green tea at noon."))).path("event").asText())
                .isEqualTo("completed");

        ObjectNode query = retrieve(org, threadA, "What does the user drink at noon?");
        JsonNode hits = run(bytes(query)).path("result").path("hits");

        assertThat(hits).hasSize(1);
        assertThat(hits.get(0).path("text").asText()).contains("coffee");
        ObjectNode wholeOrg = retrieve(org, null, "What does the user drink at noon?");
        assertThat(run(bytes(wholeOrg)).path("result").path("hits")).hasSize(2);
    }

    @Test
    void writesOfOneOrgStayInvisibleToAnotherInEveryStoreAndJobType() throws Exception {
        String orgA = UUID.randomUUID().toString();
        String orgB = UUID.randomUUID().toString();
        String thread = UUID.randomUUID().toString();
        run(bytes(index(orgA, thread, "Org A's secret plan is to launch on Friday.")));

        // the same thread id under org B: every read is scoped by org first
        JsonNode retrieve = run(bytes(retrieve(orgB, thread, "When is the launch?")));
        assertThat(retrieve.path("result").path("hits")).isEmpty();
        JsonNode summarize = run(bytes(summarizeThread(orgB, thread)));
        assertThat(summarize.path("event").asText()).isEqualTo("failed");
        assertThat(summarize.path("reason").asText()).contains("no memories").doesNotContain("secret");
        assertThat(rows(orgB)).isZero();
        assertThat(vectorsOf(orgB)).isZero();
        assertThat(memoryNodes(orgB)).isZero();
        try (GraphStore graph = GraphStore.open(Neo4jOptions.builder(neo4j.url()).build())) {
            assertThat(graph.memoriesOfThread(orgB, thread, 10)).isEmpty();
            assertThat(graph.memoriesOfThread(orgA, thread, 10)).hasSize(1);
        }
        // store-only job types carry the org too
        ObjectNode graphOnly = index(orgB, thread, "Org B's note.");
        graphOnly.put("type", "neo4j_write");
        assertThat(run(bytes(graphOnly)).path("event").asText()).isEqualTo("completed");
        assertThat(memoryNodes(orgB)).isEqualTo(1);
        assertThat(memoryNodes(orgA)).isEqualTo(1);
    }

    @Test
    void summarizeGivenTextsStoresTheSummaryAsAMemoryOfKindSummary() throws Exception {
        String org = UUID.randomUUID().toString();
        ObjectNode job = index(org, UUID.randomUUID().toString(),
                "The project ships on Friday. The release needs a security review first.",
                "Security review is booked for Wednesday. Lunch was pizza.",
                "After the review the team will ship on Friday.");
        job.put("type", "summarize");
        ((ObjectNode) job.path("input")).put("max_sentences", 2);
        JsonNode event = run(bytes(job));

        assertThat(event.path("event").asText()).isEqualTo("completed");
        String summary = event.path("result").path("summary").asText();
        assertThat(summary).isNotBlank().doesNotContain("pizza");
        assertThat(summary.split("(?<=\\.)\\s+")).hasSize(2);
        assertThat(harness.database().count("SELECT count(*) FROM memories WHERE org_id = ?::uuid "
                + "AND kind = 'summary' AND text = ?", org, summary)).isEqualTo(1);
        assertThat(vectorsOf(org)).isEqualTo(1);
    }

    @Test
    void summarizeOfAThreadUsesItsStoredMemories() throws Exception {
        String org = UUID.randomUUID().toString();
        String thread = UUID.randomUUID().toString();
        run(bytes(index(org, thread, "Alice prefers morning meetings.", "Bob is on leave next week.",
                "Alice asked to move the sync to 9am.")));

        JsonNode event = run(bytes(summarizeThread(org, thread)));

        assertThat(event.path("event").asText()).isEqualTo("completed");
        assertThat(event.path("result").path("source").asText()).isEqualTo("thread");
        assertThat(event.path("result").path("summary").asText()).contains("Alice");
    }

    @Test
    void indexJobRetriesWhileNeo4jIsDownAndCompletesWithoutDoublingAnything() throws Exception {
        String org = UUID.randomUUID().toString();
        ObjectNode job = index(org, UUID.randomUUID().toString(), "first fact", "second fact");
        String jobId = job.path("job_id").asText();
        client.watch(jobId);

        long deliveriesBefore = offlineDeliveries();
        neo4j.stop();
        try {
            client.publish(bytes(job));
            // rows are written before the vector step fails: the job is part done and is delivered again
            await().atMost(OUTCOME_WAIT).until(() -> rows(org) == 2
                    && offlineDeliveries() >= deliveriesBefore + 2);
            assertThat(harness.events(jobId)).isEmpty();
        } finally {
            neo4j.restart();
        }

        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event.path("event").asText()).isEqualTo("completed");
        assertThat(event.path("attempts").asLong()).isGreaterThanOrEqualTo(2);
        assertThat(rows(org)).isEqualTo(2);
        assertThat(vectorsOf(org)).isEqualTo(2);
        assertThat(memoryNodes(org)).isEqualTo(2);

        // the whole job once more, as after an ack lost past the ledger: every store keeps its counts
        long graphBefore = graphSize();
        harness.database().update("DELETE FROM job_ledger WHERE job_id = ?", jobId);
        assertThat(republish(job).path("event").asText()).isEqualTo("completed");
        assertThat(rows(org)).isEqualTo(2);
        assertThat(vectorsOf(org)).isEqualTo(2);
        assertThat(memoryNodes(org)).isEqualTo(2);
        assertThat(graphSize()).isEqualTo(graphBefore);
    }

    /** Deliveries the offline consumer has made so far, of every job. */
    private long offlineDeliveries() throws Exception {
        return harness.connection().jetStreamManagement().getConsumerInfo("MM_OFFLINE", "cpu-offline")
                .getDelivered().getConsumerSequence();
    }

    private static ObjectNode index(String org, String thread, String... texts) throws Exception {
        ObjectNode job = fresh(caseTree("02-index-three-memories.json"));
        ((ObjectNode) job.path("tenant")).put("org_id", org);
        ((ObjectNode) job.path("scope")).put("thread_id", thread);
        var array = ((ObjectNode) job.path("input")).putArray("text");
        for (String text : texts) {
            array.add(text);
        }
        return job;
    }

    private static ObjectNode retrieve(String org, String thread, String query) throws Exception {
        ObjectNode job = fresh(caseTree("03-retrieve-same-org.json"));
        ((ObjectNode) job.path("tenant")).put("org_id", org);
        ObjectNode scope = (ObjectNode) job.path("scope");
        if (thread == null) {
            scope.removeAll();
        } else {
            scope.put("thread_id", thread);
        }
        ((ObjectNode) job.path("requirements")).remove("max_latency_ms");
        ((ObjectNode) job.path("input")).putArray("text").add(query);
        return job;
    }

    private static ObjectNode summarizeThread(String org, String thread) throws Exception {
        ObjectNode job = index(org, thread);
        job.put("type", "summarize");
        ((ObjectNode) job.path("input")).remove("text");
        return job;
    }
}
