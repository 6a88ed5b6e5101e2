package dev.memorymodule.workers.pipeline;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import org.junit.jupiter.api.Test;

/** A valid job of a type the worker is not configured to run ends with that reason, once, not retried. */
class UnsupportedTypeTest {

    @Test
    void jobOfATypeTheWorkerDoesNotRunIsDeadLetteredWithThatReason() throws Exception {
        try (WorkerHarness harness = new WorkerHarness()) {
            harness.startWorker(Map.of("mm.worker.job-types", "embed"));
            try (JobClient client = new JobClient(harness.connection(), "mm.events.job")) {
                ObjectNode job = PipelineTest.pgWriteJob("not here");
                String jobId = job.path("job_id").asText();
                client.watch(jobId);
                client.publish(bytes(job));

                JsonNode event = client.awaitEvent(jobId, Duration.ofSeconds(30));
                assertThat(event.path("event").asText()).isEqualTo("dead_lettered");
                assertThat(event.path("reason").asText()).isEqualTo("job type 'pg_write' is not run by this worker");
                assertThat(event.path("attempts").asLong()).isEqualTo(1);
                assertThat(harness.deadLetters()).singleElement().satisfies(letter -> {
                    assertThat(letter.getSubject()).isEqualTo("mm.dlq.write.pg_write");
                    assertThat(letter.getData()).isEqualTo(bytes(job));
                });
                assertThat(harness.database().count("SELECT count(*) FROM memories")).isZero();
            }
        }
    }
}
