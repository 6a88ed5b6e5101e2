package dev.memorymodule.workers.pipeline;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import org.junit.jupiter.api.Test;

/**
 * A valid job of a type the worker is not configured to run is handed over, as for any capability it lacks: a
 * pool-mate that runs the type takes it, and where none does it ends with that reason, once, never lost.
 */
class UnsupportedTypeTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(60);

    @Test
    void jobOfATypeOneWorkerDoesNotRunIsRunByAPoolMateThatDoes() throws Exception {
        try (WorkerHarness harness = new WorkerHarness()) {
            harness.startWorker(Map.of("mm.worker.job-types", "embed", "mm.worker.id", "embed-only",
                    "mm.consumer.max-handovers", "50"));
            harness.startWorker(Map.of("mm.worker.job-types", "embed,pg_write", "mm.worker.id", "writer",
                    "mm.consumer.max-handovers", "50"));
            try (JobClient client = new JobClient(harness.connection(), "mm.events.job")) {
                List<ObjectNode> jobs = new ArrayList<>();
                for (int i = 0; i < 6; i++) {
                    ObjectNode job = PipelineTest.pgWriteJob("kept by whoever writes " + i);
                    jobs.add(job);
                    client.watch(job.path("job_id").asText());
                    client.publish(bytes(job));
                }

                for (ObjectNode job : jobs) {
                    JsonNode event = client.awaitEvent(job.path("job_id").asText(), OUTCOME_WAIT);
                    assertThat(event).isNotNull();
                    assertThat(event.path("event").asText()).as("outcome %s", event).isEqualTo("completed");
                    assertThat(event.path("worker_id").asText()).isEqualTo("writer");
                }
                assertThat(harness.database().count("SELECT count(*) FROM memories")).isEqualTo(6);
                assertThat(harness.deadLetters()).isEmpty();
            }
        }
    }

    @Test
    void jobOfATypeNoWorkerRunsFailsWithThatReasonAfterItsHandovers() throws Exception {
        try (WorkerHarness harness = new WorkerHarness()) {
            harness.startWorker(Map.of("mm.worker.job-types", "embed"));
            ObjectNode job = PipelineTest.pgWriteJob("not here");

            JsonNode event = runToOutcome(harness, job);
            assertThat(event.path("event").asText()).isEqualTo("failed");
            assertThat(event.path("reason").asText())
                    .contains("no worker that could run the job took it in 5 handovers")
                    .contains("this worker lacks job type pg_write (runs embed)");
            assertThat(event.path("attempts").asLong()).isEqualTo(1);
            assertThat(harness.deadLetters()).singleElement().satisfies(letter -> {
                assertThat(letter.getSubject()).isEqualTo("mm.dlq.write.pg_write");
                assertThat(letter.getData()).isEqualTo(bytes(job));
            });
            assertThat(harness.database().count("SELECT count(*) FROM memories")).isZero();
        }
    }

    @Test
    void jobNoWorkerCanRunThatExpiresSaysWhyItNeverRan() throws Exception {
        try (WorkerHarness harness = new WorkerHarness()) {
            // far fewer handovers allowed than fit before the deadline: the deadline decides, not the count
            harness.startWorker(Map.of("mm.worker.job-types", "embed", "mm.consumer.max-handovers", "2",
                    "mm.consumer.handover-delay", "200ms"));
            ObjectNode job = PipelineTest.pgWriteJob("runs out of time");
            ((ObjectNode) job.path("timestamps")).put("deadline", Instant.now().plusSeconds(3).toString());

            JsonNode event = runToOutcome(harness, job);
            assertThat(event.path("event").asText()).isEqualTo("expired");
            assertThat(event.path("reason").asText())
                    .contains("passed before the job could run")
                    .containsPattern("handed over \\d+ time\\(s\\)")
                    .contains("the last one said: this worker lacks job type pg_write (runs embed)");
            assertThat(harness.database().count("SELECT count(*) FROM memories")).isZero();
        }
    }

    /** Publishes the job as a client would and waits for its outcome event. */
    private static JsonNode runToOutcome(WorkerHarness harness, ObjectNode job) throws Exception {
        try (JobClient client = new JobClient(harness.connection(), "mm.events.job")) {
            String jobId = job.path("job_id").asText();
            client.watch(jobId);
            client.publish(bytes(job));
            JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
            assertThat(event).as("outcome event of job %s", jobId).isNotNull();
            return event;
        }
    }
}
