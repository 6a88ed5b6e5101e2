package dev.memorymodule.workers.memory;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static dev.memorymodule.workers.testsupport.WorkerHarness.fresh;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.vector.QdrantTarget;
import dev.memorymodule.workers.vector.QdrantVectorStore;
import dev.memorymodule.workers.vector.TenantFilter;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The worker with Qdrant as its vector store: qdrant_upsert goes through camel-qdrant, retrieve through the Qdrant
 * client, both always scoped by org. Runs against the Qdrant test double, or a real Qdrant when QDRANT_URL is set.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class QdrantPipelineTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(60);

    private QdrantTarget qdrant;
    private WorkerHarness harness;
    private JobClient client;
    private QdrantVectorStore store;

    @BeforeAll
    void start() throws Exception {
        qdrant = QdrantTarget.start();
        URI url = URI.create(qdrant.url());
        harness = new WorkerHarness();
        harness.startWorker(Map.of("mm.worker.job-types", "embed,qdrant_upsert,retrieve",
                "mm.vector.backend", "qdrant", "mm.qdrant.host", url.getHost(),
                "mm.qdrant.port", Integer.toString(url.getPort()),
                "mm.qdrant.api-key", qdrant.apiKey() == null ? "" : qdrant.apiKey(),
                "mm.qdrant.tls", Boolean.toString("https".equals(url.getScheme()))));
        client = new JobClient(harness.connection(), "mm.events.job");
        store = QdrantVectorStore.fromUrl(qdrant.url(), qdrant.apiKey());
    }

    @AfterAll
    void stop() throws Exception {
        for (AutoCloseable resource : new AutoCloseable[] { store, client, harness, qdrant }) {
            if (resource != null) {
                resource.close();
            }
        }
    }

    private JsonNode run(ObjectNode job) throws Exception {
        String jobId = job.path("job_id").asText();
        client.watch(jobId);
        client.publish(bytes(job));
        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event).as("outcome of %s", jobId).isNotNull();
        return event;
    }

    private static ObjectNode job(String type, String org, String... texts) throws Exception {
        ObjectNode job = fresh(caseTree("03-retrieve-same-org.json"));
        job.put("type", type);
        ((ObjectNode) job.path("tenant")).put("org_id", org);
        ((ObjectNode) job.path("requirements")).remove("max_latency_ms");
        var array = ((ObjectNode) job.path("input")).putArray("text");
        for (String text : texts) {
            array.add(text);
        }
        return job;
    }

    @Test
    void upsertThroughCamelQdrantThenRetrieveScopedToTheOrg() throws Exception {
        String org = UUID.randomUUID().toString();
        String other = UUID.randomUUID().toString();
        JsonNode upserted = run(job("qdrant_upsert", org, "The user prefers green tea every morning.",
                "The team meeting moved to Thursday."));
        run(job("qdrant_upsert", other, "The user drinks green tea in the morning, says the other org."));

        assertThat(upserted.path("event").asText()).isEqualTo("completed");
        assertThat(upserted.path("result").path("vector_store").asText()).isEqualTo("qdrant");
        assertThat(store.count("all-minilm-l6-v2", 384, TenantFilter.org(org))).isEqualTo(2);

        JsonNode hits = run(job("retrieve", org, "What does the user drink in the morning?"))
                .path("result").path("hits");
        assertThat(hits).hasSize(2);
        assertThat(hits.get(0).path("text").asText()).contains("green tea");
        assertThat(hits.findValuesAsText("text")).noneMatch(text -> text.contains("other org"));
    }

    @Test
    void aRepeatedUpsertOverwritesInsteadOfAddingPoints() throws Exception {
        String org = UUID.randomUUID().toString();
        ObjectNode job = job("qdrant_upsert", org, "only once");
        run(job);
        harness.database().update("DELETE FROM job_ledger WHERE job_id = ?", job.path("job_id").asText());
        client.watch(job.path("job_id").asText());
        harness.connection().jetStream().publish("mm.write.qdrant_upsert.A.cpu", bytes(job));
        assertThat(client.awaitEvent(job.path("job_id").asText(), OUTCOME_WAIT).path("event").asText())
                .isEqualTo("completed");

        assertThat(store.count("all-minilm-l6-v2", 384, TenantFilter.org(org))).isEqualTo(1);
    }
}
