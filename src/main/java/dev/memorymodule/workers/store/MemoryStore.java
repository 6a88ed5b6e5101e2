package dev.memorymodule.workers.store;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.sql.Types;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import javax.sql.DataSource;

import dev.memorymodule.workers.job.TransientJobException;
import dev.memorymodule.workers.job.ValidatedJob;

/**
 * Memory records in PostgreSQL. Writes are one batched statement per job, keyed by deterministic ids, so a
 * repeated write inserts nothing.
 */
public class MemoryStore {

    private static final String INSERT = """
            INSERT INTO memories (memory_id, org_id, workspace_id, user_id, agent_id, thread_id, kind, text, position,
                                  job_id, idempotency_key, ref_event_id, ref_memory_id, ref_artifact_uri, trace_id,
                                  created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (memory_id) DO NOTHING""";

    /** What a write did: the ids of every text, and how many rows were new. */
    public record WriteResult(List<UUID> memoryIds, int inserted) {
    }

    private final DataSource dataSource;

    public MemoryStore(DataSource dataSource) {
        this.dataSource = dataSource;
    }

    public WriteResult write(ValidatedJob job, List<String> texts, String kind) {
        List<UUID> ids = new ArrayList<>(texts.size());
        for (int i = 0; i < texts.size(); i++) {
            ids.add(MemoryIds.of(job.orgId(), job.idempotencyKey(), i));
        }
        try (Connection connection = dataSource.getConnection();
             PreparedStatement insert = connection.prepareStatement(INSERT)) {
            for (int i = 0; i < texts.size(); i++) {
                int p = 1;
                insert.setObject(p++, ids.get(i));
                insert.setObject(p++, UUID.fromString(job.orgId()));
                setUuid(insert, p++, job.workspaceId());
                setUuid(insert, p++, job.userId());
                setUuid(insert, p++, job.agentId());
                setUuid(insert, p++, job.threadId());
                insert.setString(p++, kind);
                insert.setString(p++, texts.get(i));
                insert.setInt(p++, i);
                insert.setString(p++, job.jobId());
                insert.setString(p++, job.idempotencyKey());
                setUuid(insert, p++, job.node().path("refs").path("event_id").asText(null));
                setUuid(insert, p++, job.node().path("refs").path("memory_id").asText(null));
                insert.setString(p++, job.node().path("refs").path("artifact_uri").asText(null));
                setUuid(insert, p++, job.traceId());
                insert.setTimestamp(p, Timestamp.from(job.createdAt()));
                insert.addBatch();
            }
            int inserted = 0;
            for (int count : insert.executeBatch()) {
                inserted += Math.max(count, 0);
            }
            return new WriteResult(ids, inserted);
        } catch (SQLException e) {
            throw new TransientJobException("PostgreSQL write failed: " + e.getMessage(), e);
        }
    }

    /** The texts of an org's thread, oldest first; summaries are left out. */
    public List<String> textsOfThread(String orgId, String threadId, int limit) {
        String sql = """
                SELECT text FROM memories
                 WHERE org_id = ? AND thread_id = ? AND kind = 'memory'
                 ORDER BY created_at, job_id, position
                 LIMIT ?""";
        try (Connection connection = dataSource.getConnection();
             PreparedStatement select = connection.prepareStatement(sql)) {
            select.setObject(1, UUID.fromString(orgId));
            select.setObject(2, UUID.fromString(threadId));
            select.setInt(3, limit);
            List<String> texts = new ArrayList<>();
            try (var rows = select.executeQuery()) {
                while (rows.next()) {
                    texts.add(rows.getString(1));
                }
            }
            return texts;
        } catch (SQLException e) {
            throw new TransientJobException("PostgreSQL read failed: " + e.getMessage(), e);
        }
    }

    private static void setUuid(PreparedStatement statement, int index, String value) throws SQLException {
        if (value == null) {
            statement.setNull(index, Types.OTHER);
        } else {
            statement.setObject(index, UUID.fromString(value));
        }
    }
}
