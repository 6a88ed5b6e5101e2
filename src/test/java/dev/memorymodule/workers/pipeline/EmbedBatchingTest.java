package dev.memorymodule.workers.pipeline;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.embed.EmbeddingModel;
import dev.memorymodule.workers.embed.ModelSpec;
import dev.memorymodule.workers.testsupport.PrometheusText;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.testsupport.WorkerHttp;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

/**
 * One-text embed jobs taken at the same time by one worker share forward passes, and each still gets the vector of
 * its own text: the worker's counters show fewer passes than jobs, and every vector matches an unbatched one.
 */
class EmbedBatchingTest {

    private static final int JOBS = 32;
    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(60);
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String PASSES = "mm_embedding_passes_total";
    private static final String TEXTS = "mm_embedding_texts_total";

    @Test
    void concurrentOneTextJobsShareForwardPassesAndKeepTheirOwnVectors() throws Exception {
        try (WorkerHarness harness = new WorkerHarness();
             JobClient client = new JobClient(harness.connection(), "mm.events.job");
             EmbeddingModel reference = EmbeddingModel.load(ModelSpec.allMiniLmL6V2())) {
            // every job of the burst is in hand at once, and a pass waits long enough for all of them to join it
            Main worker = harness.startWorker(Map.of("mm.consumer.online.concurrency", "32",
                    "mm.consumer.online.batch-size", "32", "mm.embedding.batch.online-wait", "300ms"));
            WorkerHttp http = WorkerHttp.of(worker);
            PrometheusText before = http.metrics();

            List<String> jobIds = new ArrayList<>();
            List<String> texts = new ArrayList<>();
            for (int i = 0; i < JOBS; i++) {
                String text = "Memory number " + i + " is about " + (i % 2 == 0 ? "green tea" : "the weekly report");
                ObjectNode job = PipelineTest.embedJob(text);
                jobIds.add(job.path("job_id").asText());
                texts.add(text);
                client.watch(job.path("job_id").asText());
                client.publish(bytes(job));
            }

            for (int i = 0; i < JOBS; i++) {
                JsonNode event = client.awaitEvent(jobIds.get(i), OUTCOME_WAIT);
                assertThat(event).as("outcome of job %d", i).isNotNull();
                assertThat(event.path("event").asText()).isEqualTo("completed");
                float[] vector = MAPPER.treeToValue(event.path("result").path("vectors").path(0), float[].class);
                assertThat(vector).containsExactly(reference.embed(List.of(texts.get(i))).vector(0), within(1e-5f));
            }

            PrometheusText after = http.metrics();
            double passes = after.sum(PASSES, "model", ModelSpec.MINILM_NAME)
                    - before.sum(PASSES, "model", ModelSpec.MINILM_NAME);
            double embedded = after.sum(TEXTS, "model", ModelSpec.MINILM_NAME)
                    - before.sum(TEXTS, "model", ModelSpec.MINILM_NAME);
            assertThat(embedded).isEqualTo(JOBS);
            // unbatched, 32 jobs would take 32 passes; a burst taken together fits in a handful
            assertThat(passes).isBetween(1.0, 8.0);
        }
    }
}
