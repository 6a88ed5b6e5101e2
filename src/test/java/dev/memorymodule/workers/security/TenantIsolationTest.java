package dev.memorymodule.workers.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.function.Predicate;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.security.TwoBackendFleet.Backend;
import dev.memorymodule.workers.security.TwoBackendFleet.Scope;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Tenant isolation through every job type that writes, on both vector backends: what org A writes is found by
 * org A and by nobody else. Org B uses the very same workspace, user, agent and thread ids and has memories of its
 * own there; its retrieve (narrowed to the thread, and over the whole org) and its thread summary see only its own,
 * and in every store (rows, vector points, graph nodes, read raw, without the workers' filters) A's memories are
 * A's alone, with no graph relation reaching another org.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TenantIsolationTest {

    private TwoBackendFleet fleet;

    @BeforeAll
    void start() throws Exception {
        fleet = TwoBackendFleet.start();
    }

    @AfterAll
    void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    static Stream<Arguments> writesOnEachBackend() {
        return Stream.of(Backend.values()).flatMap(backend -> TwoBackendFleet.WRITING_TYPES.stream()
                .map(type -> Arguments.of(backend, type)));
    }

    @ParameterizedTest(name = "{1} on the {0} backend")
    @MethodSource("writesOnEachBackend")
    void whatOneOrgWritesNoOtherOrgCanReadOnTheSameScopeIds(Backend backend, String type) throws Exception {
        String orgA = UUID.randomUUID().toString();
        String orgB = UUID.randomUUID().toString();
        Scope scope = Scope.random();
        String marker = "secret-" + UUID.randomUUID();
        List<String> ownOfB = List.of("Org B's team meets on Tuesdays at nine.", "Org B's user drinks black coffee.");
        for (String writer : List.of("pg_write", "qdrant_upsert", "neo4j_write")) {
            completed(TwoBackendFleet.job(backend, writer, orgB, scope, ownOfB.toArray(String[]::new)));
        }

        ObjectNode write = TwoBackendFleet.job(backend, type, orgA, scope, "Org A's launch moves to Friday, "
                + marker + ".", "Org A's budget for the launch is forty million, " + marker + ".");
        if ("summarize".equals(type)) {
            ((ObjectNode) write.path("input")).put("max_sentences", 1);
        }
        completed(write);
        assertLandedForOrgA(backend, type, orgA, scope, marker);

        // org B's reads, on the same ids: its own memories come back, never org A's
        for (boolean wholeOrg : new boolean[] {false, true}) {
            JsonNode hits = completed(retrieve(backend, orgB, wholeOrg ? null : scope, "When is the launch and "
                    + "what is its budget?")).path("result").path("hits");
            assertThat(hits).as("org B's hits").isNotEmpty();
            assertThat(hits.findValuesAsText("text")).as("org B's hits").allMatch(ownOfB::contains);
        }
        JsonNode summary = completed(summarizeThread(backend, orgB, scope)).path("result");
        assertThat(summary.path("source").asText()).isEqualTo("thread");
        assertThat(summary.path("summary").asText()).doesNotContain(marker).doesNotContain("launch");

        // and raw, in every store: org A's texts carry org A's id, org B's records (its memories and the summary
        // it just made of them) hold nothing of org A's
        Predicate<String> ofOrgA = text -> text.contains(marker) || text.contains("Org A");
        assertThat(fleet.rowTexts(orgB)).containsAll(ownOfB).noneMatch(ofOrgA);
        for (Map<String, String> point : fleet.allVectors(backend)) {
            if (point.get("text").contains(marker)) {
                assertThat(point.get("org")).as("org of a vector point of org A's text").isEqualTo(orgA);
            }
            if (orgB.equals(point.get("org"))) {
                assertThat(point.get("text")).as("text of a vector point of org B").doesNotMatch(".*Org A.*");
            }
        }
        for (Map<String, String> node : fleet.query("MATCH (m:Memory) WHERE m.text CONTAINS $marker "
                + "RETURN m.org_id AS org", "marker", marker)) {
            assertThat(node.get("org")).as("org of a memory node of org A's text").isEqualTo(orgA);
        }
        assertThat(fleet.query("MATCH (m:Memory {org_id: $org}) RETURN m.text AS text", "org", orgB))
                .extracting(row -> row.get("text")).containsAll(ownOfB).noneMatch(ofOrgA);
        assertThat(fleet.query("MATCH (a)-[r]-(b) WHERE a.org_id = $org AND b.org_id <> $org RETURN count(r) AS n",
                "org", orgA)).extracting(row -> row.get("n")).containsExactly("0");
    }

    /** The positive control: org A finds its own memory in each store the job type writes. */
    private void assertLandedForOrgA(Backend backend, String type, String orgA, Scope scope, String marker)
            throws Exception {
        boolean rows = List.of("pg_write", "index", "summarize").contains(type);
        boolean vectors = List.of("qdrant_upsert", "index", "summarize").contains(type);
        boolean graph = List.of("neo4j_write", "index", "summarize").contains(type);
        assertThat(fleet.rowTexts(orgA).stream().anyMatch(text -> text.contains(marker))).as("rows of org A")
                .isEqualTo(rows);
        assertThat(fleet.allVectors(backend).stream().anyMatch(point -> orgA.equals(point.get("org"))
                && point.get("text").contains(marker))).as("vector points of org A").isEqualTo(vectors);
        assertThat(fleet.query("MATCH (m:Memory {org_id: $org}) WHERE m.text CONTAINS $marker RETURN m.id AS id",
                "org", orgA, "marker", marker)).as("memory nodes of org A").hasSize(graph ? ("summarize"
                .equals(type) ? 1 : 2) : 0);
        if (vectors) {
            JsonNode hits = completed(retrieve(backend, orgA, scope, "When is the launch?")).path("result")
                    .path("hits");
            assertThat(hits.findValuesAsText("text")).anyMatch(text -> text.contains(marker));
        }
    }

    private JsonNode completed(ObjectNode job) throws Exception {
        JsonNode event = fleet.run(job);
        assertThat(event.path("event").asText()).as("outcome of %s: %s", job.path("type").asText(), event)
                .isEqualTo("completed");
        return event;
    }

    private static ObjectNode retrieve(Backend backend, String org, Scope scope, String query) throws Exception {
        ObjectNode job = TwoBackendFleet.job(backend, "retrieve", org, scope == null ? Scope.random() : scope, query);
        ((ObjectNode) job.path("input")).put("top_k", 10);
        if (scope == null) {
            ((ObjectNode) job.path("tenant")).remove("workspace_id");
            ((ObjectNode) job.path("scope")).removeAll();
        }
        return job;
    }

    private static ObjectNode summarizeThread(Backend backend, String org, Scope scope) throws Exception {
        ObjectNode job = TwoBackendFleet.job(backend, "summarize", org, scope);
        ((ObjectNode) job.path("input")).remove("text");
        return job;
    }
}
