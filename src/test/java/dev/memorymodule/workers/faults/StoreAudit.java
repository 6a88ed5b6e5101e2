package dev.memorymodule.workers.faults;

import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import dev.memorymodule.workers.testsupport.PostgresDatabase;
import dev.memorymodule.workers.vector.QdrantPoints;
import dev.memorymodule.workers.vector.QdrantTestDouble;
import org.neo4j.driver.Driver;
import org.neo4j.driver.Session;

/**
 * What the stores hold after a run, read directly (past the proxies the workers use): every memory id, as often
 * as it occurs, so a doubled record shows as well as a missing one.
 */
final class StoreAudit {

    /** The model the load uses (the default one) and its size: the vector collection the points are in. */
    static final String MODEL = "all-minilm-l6-v2";
    static final int DIMS = 384;

    private StoreAudit() {
    }

    /** Memory ids of the rows in PostgreSQL's {@code memories}. */
    static List<String> rows(PostgresDatabase database) throws Exception {
        List<String> ids = new ArrayList<>();
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery("SELECT memory_id::text FROM memories")) {
            while (rows.next()) {
                ids.add(rows.getString(1));
            }
        }
        return ids;
    }

    /** Idempotency claims by status ({@code running}, {@code completed}). */
    static Map<String, Long> ledger(PostgresDatabase database) throws Exception {
        Map<String, Long> byStatus = new LinkedHashMap<>();
        try (Connection connection = database.connect(); Statement statement = connection.createStatement();
             ResultSet rows = statement.executeQuery(
                     "SELECT status, count(*) FROM job_ledger GROUP BY status ORDER BY status")) {
            while (rows.next()) {
                byStatus.put(rows.getString(1), rows.getLong(2));
            }
        }
        return byStatus;
    }

    /** Ids of the {@code :Memory} nodes of the graph. */
    static List<String> memoryNodes(Driver driver) {
        return ids(driver, "MATCH (m:Memory) RETURN m.id AS id");
    }

    /** Ids of the vector points in Neo4j's vector index for the load's model. */
    static List<String> neo4jVectors(Driver driver) {
        return ids(driver, "MATCH (v:`MemoryVector_" + MODEL + "_" + DIMS + "`) RETURN v.id AS id");
    }

    /** Ids of the points in the Qdrant test double's collection for the load's model. */
    static List<String> qdrantVectors(QdrantTestDouble qdrant) {
        return new ArrayList<>(qdrant.pointIds(QdrantPoints.collectionName(MODEL, DIMS)));
    }

    /** Empties the graph between scenarios, so each counts only its own nodes; indexes and constraints stay. */
    static void clearGraph(Driver driver) {
        try (Session session = driver.session()) {
            session.run("MATCH (n) CALL (n) { DETACH DELETE n } IN TRANSACTIONS OF 10000 ROWS").consume();
        }
    }

    private static List<String> ids(Driver driver, String query) {
        try (Session session = driver.session()) {
            return session.run(query).list(row -> row.get("id").asString());
        }
    }
}
