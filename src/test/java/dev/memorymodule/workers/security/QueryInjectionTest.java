package dev.memorymodule.workers.security;

import static org.assertj.core.api.Assertions.assertThat;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.f4b6a3.ulid.UlidCreator;
import dev.memorymodule.workers.security.TwoBackendFleet.Backend;
import dev.memorymodule.workers.security.TwoBackendFleet.Scope;
import dev.memorymodule.workers.store.MemoryIds;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Jobs that try to smuggle SQL or Cypher into the stores, published to the real workers on both vector backends.
 * Free text (texts, the idempotency key, the artifact URI, the span id, fields the schema does not know) is
 * stored verbatim and runs nothing; fields the schema constrains (ids, enums, numbers) reject a hostile value
 * before any store is touched. The attacker uses the scope ids of a bystander org, and at the end everything
 * outside the attacker's own org is as it was: tables, migrations, rows, ledger, nodes, relations, constraints,
 * indexes and vector points.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class QueryInjectionTest {

    /** What an attacker would type: SQL and Cypher that close a literal or a map and append a statement. */
    static final List<String> HOSTILE = List.of(
            "'); DROP TABLE memories; --",
            "' OR '1'='1' --",
            "x'); DELETE FROM job_ledger; SELECT ('",
            "$$; TRUNCATE memories; $$",
            "'}) MATCH (n) DETACH DELETE n //",
            "\"}) WITH 1 AS one MATCH (n) DETACH DELETE n RETURN one //",
            "` MATCH (n) DETACH DELETE n //",
            "$org_id",
            "{org_id: $org_id, id: 'stolen'}",
            "\\'; CALL dbms.killQueries([]); //",
            "MATCH (n) SET n.org_id = 'stolen' RETURN n");
    private static final String SQL_DROP = HOSTILE.get(0);
    private static final String CYPHER_DELETE = HOSTILE.get(4);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private TwoBackendFleet fleet;
    private final String bystander = UUID.randomUUID().toString();
    private final String attacker = UUID.randomUUID().toString();
    private final Scope scope = Scope.random();
    private final Set<String> bystanderKeys = new HashSet<>();
    private final Set<String> attackerKeys = new HashSet<>();
    private Snapshot before;

    @BeforeAll
    void start() throws Exception {
        fleet = TwoBackendFleet.start();
        for (Backend backend : Backend.values()) {
            for (String type : TwoBackendFleet.WRITING_TYPES) {
                ObjectNode job = TwoBackendFleet.job(backend, type, bystander, scope, "The bystander's plan is to "
                        + "ship on Friday.", "The bystander's user likes green tea.");
                bystanderKeys.add(job.path("idempotency_key").asText());
                assertThat(fleet.run(job).path("event").asText()).isEqualTo("completed");
            }
        }
        before = snapshot();
    }

    @AfterAll
    void stop() throws Exception {
        if (fleet != null) {
            fleet.close();
        }
    }

    static Stream<Arguments> everyTypeOnEachBackend() {
        List<String> types = new ArrayList<>(TwoBackendFleet.WRITING_TYPES);
        types.addAll(List.of("embed", "retrieve"));
        return Stream.of(Backend.values()).flatMap(backend -> types.stream().map(type -> Arguments.of(backend, type)));
    }

    @ParameterizedTest(name = "{1} on the {0} backend")
    @MethodSource("everyTypeOnEachBackend")
    @Order(1)
    void hostileTextsAreStoredVerbatimInEveryStoreTheJobWrites(Backend backend, String type) throws Exception {
        List<String> texts = "retrieve".equals(type) ? List.of(SQL_DROP) : HOSTILE;
        ObjectNode job = attackerJob(backend, type, texts);

        JsonNode event = completed(job);

        String key = job.path("idempotency_key").asText();
        List<String> stored = "summarize".equals(type) ? List.of(event.path("result").path("summary").asText())
                : texts;
        boolean rows = List.of("pg_write", "index", "summarize").contains(type);
        boolean vectors = List.of("qdrant_upsert", "index", "summarize").contains(type);
        boolean graph = List.of("neo4j_write", "index", "summarize").contains(type);
        assertThat(rowTexts(key)).isEqualTo(rows ? stored : List.of());
        List<String> ids = new ArrayList<>();
        for (int i = 0; i < stored.size(); i++) {
            ids.add(MemoryIds.of(attacker, key, i).toString());
        }
        for (int i = 0; i < ids.size(); i++) {
            String id = ids.get(i);
            String text = stored.get(i);
            assertThat(fleet.allVectors(backend).stream().filter(point -> id.equals(point.get("id")))
                    .map(point -> point.get("org") + "|" + point.get("text")).toList())
                    .isEqualTo(vectors ? List.of(attacker + "|" + text) : List.of());
            assertThat(fleet.query("MATCH (m:Memory {id: $id}) RETURN m.org_id AS org, m.text AS text", "id", id))
                    .isEqualTo(graph ? List.of(Map.of("org", attacker, "text", text)) : List.of());
        }
        if ("retrieve".equals(type)) {
            // the attacker searches on the bystander's own scope ids: it finds only its own memories, if any
            assertThat(event.path("result").path("hits").findValuesAsText("text"))
                    .noneMatch(text -> text.contains("bystander"));
        }
    }

    @Test
    @Order(2)
    void hostileIdempotencyKeysUrisAndUnknownFieldsAreDataToo() throws Exception {
        for (String hostile : List.of(SQL_DROP, "' OR '1'='1", CYPHER_DELETE)) {
            for (Backend backend : Backend.values()) {
                ObjectNode job = attackerJob(backend, "index", List.of("a plain text"));
                String key = "sha256:" + backend + hostile;
                job.put("idempotency_key", key);
                attackerKeys.add(key);
                String uri = "https://attacker.example/a');DROP%20TABLE%20memories;--?q='%7D)%20MATCH%20(n)";
                ((ObjectNode) job.path("refs")).put("artifact_uri", uri);
                ((ObjectNode) job.path("trace")).put("parent_span_id", hostile);
                ((ObjectNode) job.path("scope")).put("session_id", hostile);
                ((ObjectNode) job.path("tenant")).put("org_name", hostile);

                completed(job);

                assertThat(fleet.harness().database().count("SELECT count(*) FROM memories WHERE idempotency_key = ?"
                        + " AND ref_artifact_uri = ? AND org_id = ?::uuid", key, uri, attacker)).isEqualTo(1);
                assertThat(fleet.harness().database().count("SELECT count(*) FROM job_ledger WHERE idempotency_key ="
                        + " ? AND status = 'completed'", key)).isEqualTo(1);
                // the same key again under a new job id: matched exactly, so a duplicate, and nothing is written
                ObjectNode again = job.deepCopy();
                again.put("job_id", UlidCreator.getMonotonicUlid().toString());
                JsonNode duplicate = fleet.run(again);
                assertThat(duplicate.path("event").asText()).isEqualTo("duplicate");
                assertThat(duplicate.path("duplicate_of").asText()).isEqualTo(job.path("job_id").asText());
            }
        }
    }

    static Stream<Arguments> constrainedFields() {
        return Stream.of("tenant.org_id", "tenant.workspace_id", "scope.user_id", "scope.agent_id",
                "scope.thread_id", "refs.event_id", "refs.memory_id", "trace.trace_id", "job_id", "input.model",
                "input.input_type", "type", "priority", "requirements.trust_zone", "requirements.tier")
                .flatMap(field -> Stream.of(Arguments.of(field, SQL_DROP), Arguments.of(field, CYPHER_DELETE)));
    }

    @ParameterizedTest(name = "{0} = {1}")
    @MethodSource("constrainedFields")
    @Order(3)
    void aHostileValueInAConstrainedFieldIsRejectedBeforeAnyStore(String field, String hostile) throws Exception {
        ObjectNode job = attackerJob(Backend.NEO4J, "index", List.of("never stored"));
        int dot = field.lastIndexOf('.');
        ObjectNode parent = dot < 0 ? job : (ObjectNode) job.path(field.substring(0, dot));
        parent.put(field.substring(dot + 1), hostile);
        long rowsBefore = fleet.harness().database().count("SELECT count(*) FROM memories");

        // published where the Neo4j-backed worker takes it, whatever the hostile type or zone would make of it
        JsonNode event = fleet.run(MAPPER.writeValueAsBytes(job), "mm.offline.index.A.cpu");

        assertThat(event.path("event").asText()).as("outcome: %s", event).isEqualTo("dead_lettered");
        assertThat(event.path("attempts").asLong()).isEqualTo(1);
        assertThat(event.path("reason").asText()).contains("$." + field);
        assertThat(fleet.harness().database().count("SELECT count(*) FROM memories")).isEqualTo(rowsBefore);
        assertThat(fleet.harness().database().count("SELECT count(*) FROM job_ledger WHERE job_id = ?",
                job.path("job_id").asText())).isZero();
    }

    @Test
    @Order(4)
    void hostileNumbersFailCleanlyWithTheFieldNamed() throws Exception {
        ObjectNode retrieve = attackerJob(Backend.NEO4J, "retrieve", List.of("what is the plan?"));
        ((ObjectNode) retrieve.path("input")).put("top_k", "5; DROP TABLE memories");
        ObjectNode summarize = attackerJob(Backend.QDRANT, "summarize", List.of("One. Two."));
        ((ObjectNode) summarize.path("input")).put("max_sentences", "1 OR 1=1");

        for (ObjectNode job : List.of(retrieve, summarize)) {
            JsonNode event = fleet.run(job);
            assertThat(event.path("event").asText()).isEqualTo("failed");
            assertThat(event.path("attempts").asLong()).isEqualTo(1);
            assertThat(event.path("reason").asText()).containsAnyOf("input.top_k", "input.max_sentences");
        }
    }

    @Test
    @Order(5)
    void nothingOutsideTheAttackersOwnOrgChanged() throws Exception {
        Snapshot after = snapshot();

        assertThat(after.tables()).isEqualTo(before.tables());
        assertThat(after.migrations()).isEqualTo(before.migrations());
        assertThat(after.rows()).isEqualTo(before.rows());
        assertThat(after.ledger()).isEqualTo(before.ledger());
        assertThat(after.nodes()).isEqualTo(before.nodes());
        assertThat(after.relationships()).isEqualTo(before.relationships());
        assertThat(after.constraints()).isEqualTo(before.constraints());
        assertThat(after.indexes()).isEqualTo(before.indexes());
        assertThat(after.qdrantPoints()).isEqualTo(before.qdrantPoints());
        // every ledger row is the bystander's or one of the attacker's jobs: none made up, none removed
        assertThat(allLedgerKeys()).allMatch(key -> bystanderKeys.contains(key) || attackerKeys.contains(key));
        // the attacker's graph, on the bystander's scope ids, is its own: no relation crosses the orgs
        assertThat(fleet.query("MATCH (a)-[r]-(b) WHERE a.org_id = $org AND b.org_id <> $org RETURN count(r) AS n",
                "org", attacker)).extracting(row -> row.get("n")).containsExactly("0");
        assertThat(fleet.rowTexts(attacker)).isNotEmpty();
    }

    private ObjectNode attackerJob(Backend backend, String type, List<String> texts) throws Exception {
        ObjectNode job = TwoBackendFleet.job(backend, type, attacker, scope, texts.toArray(String[]::new));
        attackerKeys.add(job.path("idempotency_key").asText());
        return job;
    }

    private JsonNode completed(ObjectNode job) throws Exception {
        JsonNode event = fleet.run(job);
        assertThat(event.path("event").asText()).as("outcome: %s", event).isEqualTo("completed");
        return event;
    }

    private List<String> rowTexts(String key) throws Exception {
        return strings("SELECT text FROM memories WHERE idempotency_key = ? ORDER BY position", key);
    }

    private List<String> allLedgerKeys() throws Exception {
        return strings("SELECT idempotency_key FROM job_ledger");
    }

    /** Everything outside the attacker's org, in a form two snapshots can be compared by. */
    private Snapshot snapshot() throws Exception {
        List<String> ledger = new ArrayList<>();
        for (String key : bystanderKeys.stream().sorted().toList()) {
            ledger.addAll(strings("SELECT idempotency_key || '|' || job_id || '|' || status FROM job_ledger "
                    + "WHERE idempotency_key = ?", key));
        }
        List<String> qdrantPoints = fleet.allVectors(Backend.QDRANT).stream()
                .filter(point -> !attacker.equals(point.get("org")))
                .map(point -> point.get("id") + "|" + point.get("org") + "|" + point.get("text")).sorted().toList();
        return new Snapshot(
                strings("SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY 1"),
                strings("SELECT count(*)::text FROM flyway_schema_history"),
                strings("SELECT memory_id || '|' || org_id || '|' || kind || '|' || text FROM memories "
                        + "WHERE org_id <> ?::uuid ORDER BY 1", attacker),
                ledger,
                column("MATCH (n) WHERE n.org_id <> $org RETURN labels(n)[0] + '|' + n.id + '|' + n.org_id + '|' "
                        + "+ coalesce(n.text, '') AS row ORDER BY row"),
                column("MATCH (a)-[r]->(b) WHERE a.org_id <> $org AND b.org_id <> $org "
                        + "RETURN type(r) + '|' + a.id + '|' + b.id AS row ORDER BY row"),
                column("SHOW CONSTRAINTS YIELD name RETURN name AS row ORDER BY row"),
                column("SHOW INDEXES YIELD name RETURN name AS row ORDER BY row"),
                qdrantPoints);
    }

    private List<String> column(String cypher) {
        return fleet.query(cypher, "org", attacker).stream().map(row -> row.get("row")).toList();
    }

    private List<String> strings(String sql, Object... args) throws Exception {
        List<String> values = new ArrayList<>();
        try (Connection connection = fleet.harness().database().connect();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            for (int i = 0; i < args.length; i++) {
                statement.setObject(i + 1, args[i]);
            }
            try (ResultSet rows = statement.executeQuery()) {
                while (rows.next()) {
                    values.add(rows.getString(1));
                }
            }
        }
        return values;
    }

    private record Snapshot(List<String> tables, List<String> migrations, List<String> rows, List<String> ledger,
                            List<String> nodes, List<String> relationships, List<String> constraints,
                            List<String> indexes, List<String> qdrantPoints) {
    }
}
