package dev.memorymodule.workers.graph;

import dev.memorymodule.workers.job.JobValidator;
import dev.memorymodule.workers.job.ValidatedJob;
import dev.memorymodule.workers.store.MemoryIds;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class MemoryGraphBatchTest {

    // the event id in upper case on purpose: the graph keeps the canonical lowercase form, as every store does
    private static final String INDEX_JOB = """
            {
              "job_id": "01JB2C3D4E5F6G7H8J9K0M1N2P",
              "idempotency_key": "sha256:6f1ed002ab5595859014ebf0951522d9",
              "type": "index",
              "priority": "offline",
              "tenant": {
                "org_id": "550e8400-e29b-41d4-a716-446655440000",
                "workspace_id": "660e8400-e29b-41d4-a716-446655440000"
              },
              "scope": {
                "user_id": "770e8400-e29b-41d4-a716-446655440000",
                "agent_id": "880e8400-e29b-41d4-a716-446655440000",
                "thread_id": "990e8400-e29b-41d4-a716-446655440000"
              },
              "input": {"text": ["Green tea, no sugar.", "Meeting moved to Thursday.", "Likes short answers."]},
              "refs": {"event_id": "AA0E8400-E29B-41D4-A716-446655440001"},
              "timestamps": {"created_at": "2026-12-01T09:00:00Z"}
            }""";

    @Test
    void fromJobTakesTheScopeTheEventAndOneMemoryPerText() {
        ValidatedJob job = new JobValidator().validate(INDEX_JOB.getBytes(StandardCharsets.UTF_8));

        MemoryGraphBatch batch = MemoryGraphBatch.fromJob(job, "memory");

        assertThat(batch.orgId()).isEqualTo("550e8400-e29b-41d4-a716-446655440000");
        assertThat(batch.workspaceId()).isEqualTo("660e8400-e29b-41d4-a716-446655440000");
        assertThat(batch.userId()).isEqualTo("770e8400-e29b-41d4-a716-446655440000");
        assertThat(batch.agentId()).isEqualTo("880e8400-e29b-41d4-a716-446655440000");
        assertThat(batch.threadId()).isEqualTo("990e8400-e29b-41d4-a716-446655440000");
        assertThat(batch.eventId()).isEqualTo("aa0e8400-e29b-41d4-a716-446655440001");
        assertThat(batch.memories()).hasSize(3);
        for (int i = 0; i < 3; i++) {
            MemoryGraphBatch.Memory memory = batch.memories().get(i);
            assertThat(memory.id()).isEqualTo(MemoryIds.of(job.orgId(), job.idempotencyKey(), i).toString());
            assertThat(memory.text()).isEqualTo(job.texts().get(i));
            assertThat(memory.kind()).isEqualTo("memory");
            assertThat(memory.jobId()).isEqualTo("01JB2C3D4E5F6G7H8J9K0M1N2P");
            assertThat(memory.createdAt()).isEqualTo(Instant.parse("2026-12-01T09:00:00Z"));
            assertThat(memory.position()).isEqualTo(i);
        }
    }

    @Test
    void aBatchNeedsAnOrg() {
        assertThatThrownBy(() -> new MemoryGraphBatch(null, null, null, null, null, null, List.of()))
                .isInstanceOf(NullPointerException.class);
    }
}
