package dev.memorymodule.workers.security;

import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static dev.memorymodule.workers.testsupport.WorkerHarness.fresh;
import static io.qdrant.client.QueryFactory.nearest;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobSubjects;
import dev.memorymodule.workers.graph.Neo4jOptions;
import dev.memorymodule.workers.testsupport.Neo4jServer;
import dev.memorymodule.workers.testsupport.OutcomeWatcher;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.vector.QdrantPoints;
import dev.memorymodule.workers.vector.QdrantTestDouble;
import dev.memorymodule.workers.vector.QdrantVectorStore;
import io.nats.client.api.PublishAck;
import io.qdrant.client.grpc.JsonWithInt.Value;
import io.qdrant.client.grpc.Points.QueryPoints;
import io.qdrant.client.grpc.Points.ScoredPoint;
import io.qdrant.client.grpc.Points.WithPayloadSelector;
import org.neo4j.driver.Driver;
import org.neo4j.driver.Session;

/**
 * Two real workers on one NATS server, one database and one Neo4j: one keeps its vectors in Neo4j's vector index,
 * the other in Qdrant (the Qdrant test double). They are separate pools whose consumers filter on the trust zone
 * of the subject, so a job goes to the backend its {@code requirements.trust_zone} names: A for Neo4j, B for
 * Qdrant. Every store can be read back raw, without the tenant filters the workers apply.
 */
final class TwoBackendFleet implements AutoCloseable {

    /** A vector backend and the trust zone whose jobs go to its worker. */
    enum Backend {
        NEO4J("A", "neo4j"), QDRANT("B", "qdrant");

        final String zone;
        final String kind;

        Backend(String zone, String kind) {
            this.zone = zone;
            this.kind = kind;
        }
    }

    static final String MODEL = "all-minilm-l6-v2";
    static final int DIMS = 384;
    static final List<String> WRITING_TYPES = List.of("pg_write", "qdrant_upsert", "neo4j_write", "index",
            "summarize");

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final int RAW_LIMIT = 10_000;

    private final Neo4jServer neo4j;
    private final QdrantTestDouble qdrant;
    private final WorkerHarness harness;
    private final OutcomeWatcher watcher;
    private final Driver driver;
    private final QdrantVectorStore qdrantStore;

    private TwoBackendFleet() throws Exception {
        neo4j = Neo4jServer.start();
        qdrant = QdrantTestDouble.start();
        harness = new WorkerHarness();
        String allTypes = "embed,retrieve,summarize,qdrant_upsert,pg_write,neo4j_write,index";
        harness.startWorker(pool(Backend.NEO4J, Map.of("mm.worker.job-types", allTypes,
                "mm.vector.backend", "neo4j", "mm.neo4j.url", neo4j.url())));
        harness.startWorker(pool(Backend.QDRANT, Map.of("mm.worker.job-types", allTypes,
                "mm.vector.backend", "qdrant", "mm.neo4j.url", neo4j.url(), "mm.qdrant.host", qdrant.host(),
                "mm.qdrant.port", Integer.toString(qdrant.port()))));
        watcher = new OutcomeWatcher(harness.connection(), "mm.events.job");
        driver = Neo4jOptions.builder(neo4j.url()).build().openDriver();
        qdrantStore = QdrantVectorStore.fromUrl(qdrant.url(), null);
    }

    static TwoBackendFleet start() throws Exception {
        return new TwoBackendFleet();
    }

    WorkerHarness harness() {
        return harness;
    }

    /** A job of this type for this backend's worker, under the given tenant and scope, with fresh ids. */
    static ObjectNode job(Backend backend, String type, String org, Scope scope, String... texts) throws Exception {
        ObjectNode job = fresh(caseTree("02-index-three-memories.json"));
        job.put("type", type);
        job.put("priority", "retrieve".equals(type) || "embed".equals(type) ? "online" : "offline");
        ObjectNode tenant = (ObjectNode) job.path("tenant");
        tenant.put("org_id", org);
        tenant.put("workspace_id", scope.workspace());
        ObjectNode jobScope = (ObjectNode) job.path("scope");
        jobScope.put("user_id", scope.user());
        jobScope.put("agent_id", scope.agent());
        jobScope.put("thread_id", scope.thread());
        ((ObjectNode) job.path("requirements")).put("trust_zone", backend.zone);
        ArrayNode array = ((ObjectNode) job.path("input")).putArray("text");
        for (String text : texts) {
            array.add(text);
        }
        return job;
    }

    /** Publishes a job as it is (any bytes) on the subject its content gives, and waits for its one outcome. */
    JsonNode run(byte[] payload, String subject) throws Exception {
        PublishAck ack = harness.connection().jetStream().publish(subject, payload);
        return watcher.await(OutcomeWatcher.identity(ack), OUTCOME_WAIT);
    }

    JsonNode run(ObjectNode job) throws Exception {
        return run(MAPPER.writeValueAsBytes(job), JobSubjects.subject(job));
    }

    /** Texts of the PostgreSQL rows of an org, in the order the job gave them. */
    List<String> rowTexts(String org) {
        List<String> texts = new ArrayList<>();
        try (var connection = harness.database().connect();
             var select = connection.prepareStatement("SELECT text FROM memories WHERE org_id = ?::uuid "
                     + "ORDER BY job_id, position")) {
            select.setString(1, org);
            try (var rows = select.executeQuery()) {
                while (rows.next()) {
                    texts.add(rows.getString(1));
                }
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return texts;
    }

    /** Every vector point of a backend, whatever org it belongs to: org id and text of each. */
    List<Map<String, String>> allVectors(Backend backend) throws Exception {
        List<Map<String, String>> points = new ArrayList<>();
        if (backend == Backend.NEO4J) {
            query("MATCH (v:`MemoryVector_" + MODEL + "_" + DIMS + "`) RETURN v.org_id AS org, v.text AS text, "
                    + "v.id AS id").forEach(row -> points.add(Map.of("org", row.get("org"), "text", row.get("text"),
                    "id", row.get("id"))));
            return points;
        }
        String collection = QdrantPoints.collectionName(MODEL, DIMS);
        float[] probe = new float[DIMS];
        probe[0] = 1;
        List<ScoredPoint> all = qdrantStore.client().queryAsync(QueryPoints.newBuilder().setCollectionName(collection)
                .setQuery(nearest(probe)).setLimit(RAW_LIMIT)
                .setWithPayload(WithPayloadSelector.newBuilder().setEnable(true)).build()).get();
        for (ScoredPoint point : all) {
            Map<String, Value> payload = point.getPayloadMap();
            points.add(Map.of("org", payload.get("org_id").getStringValue(), "text",
                    payload.get("text").getStringValue(), "id", point.getId().getUuid()));
        }
        return points;
    }

    /** Rows of a Cypher query, each column as a string (null for a missing value). */
    List<Map<String, String>> query(String cypher, Object... keysAndValues) {
        Map<String, Object> parameters = new HashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            parameters.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        try (Session session = driver.session()) {
            return session.run(cypher, parameters).list(row -> {
                Map<String, String> values = new LinkedHashMap<>();
                for (String key : row.keys()) {
                    values.put(key, row.get(key).isNull() ? null : String.valueOf(row.get(key).asObject()));
                }
                return values;
            });
        }
    }

    @Override
    public void close() throws Exception {
        for (AutoCloseable resource : new AutoCloseable[] {qdrantStore, driver, watcher, harness, qdrant, neo4j}) {
            if (resource != null) {
                resource.close();
            }
        }
    }

    private static Map<String, String> pool(Backend backend, Map<String, String> settings) {
        Map<String, String> properties = new HashMap<>(settings);
        properties.put("mm.worker.pool", backend.kind);
        properties.put("mm.worker.id", backend.kind + "-worker");
        for (String lane : List.of("online", "offline", "write")) {
            properties.put("mm.consumer." + lane + ".filter", "mm." + lane + ".*." + backend.zone + ".*");
        }
        // hostile and cross-tenant jobs fail fast or not at all; no need for the production retry budget
        properties.put("mm.consumer.max-deliver", "20");
        return properties;
    }

    /** The scope a job writes under: ids only, shared freely between orgs in these tests. */
    record Scope(String workspace, String user, String agent, String thread) {

        static Scope random() {
            return new Scope(uuid(), uuid(), uuid(), uuid());
        }

        private static String uuid() {
            return UUID.randomUUID().toString();
        }
    }
}
