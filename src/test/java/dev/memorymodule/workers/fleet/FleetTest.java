package dev.memorymodule.workers.fleet;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.memorymodule.workers.embed.EmbeddingDevice;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.testsupport.WorkerProcess;
import io.nats.client.KeyValue;
import io.nats.client.Message;
import io.nats.client.api.KeyValueEntry;
import io.nats.client.api.KeyValueOperation;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.Test;

/** The fleet view: capabilities in the KV bucket, heartbeats, online/offline events, expiry of a dead worker. */
class FleetTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void aWorkerIsListedWithItsCapabilitiesAndLeavesCleanlyWhenStopped() throws Exception {
        try (WorkerHarness harness = new WorkerHarness()) {
            // VRAM is configured, but the models run on the CPU here: neither a GPU nor VRAM may be announced
            Main worker = harness.startWorker(Map.of("mm.worker.id", "fleet-a", "mm.embedding.device", "auto",
                    "mm.worker.vram-gb", "24", "mm.worker.trust-zones", "A", "mm.fleet.ttl", "3s"));
            KeyValue fleet = harness.connection().keyValue("mm_workers");

            KeyValueEntry entry = await().atMost(Duration.ofSeconds(10)).until(() -> fleet.get("fleet-a"),
                    e -> e != null && e.getOperation() == KeyValueOperation.PUT);
            JsonNode listed = MAPPER.readTree(entry.getValue());
            assertThat(listed.path("job_types")).extracting(JsonNode::asText).containsExactly("embed", "pg_write");
            assertThat(listed.path("gpu").asBoolean()).isFalse();
            assertThat(listed.path("vram_gb").asInt()).isZero();
            assertThat(listed.path("trust_zones")).extracting(JsonNode::asText).containsExactly("A");
            assertThat(listed.path("models").path("all-minilm-l6-v2").asInt()).isEqualTo(384);
            assertThat(listed.path("concurrency").path("online").asInt()).isEqualTo(2);

            // the heartbeat refreshes the entry well inside the TTL
            long first = entry.getRevision();
            await().atMost(Duration.ofSeconds(5)).until(() -> fleet.get("fleet-a").getRevision() > first);
            assertThat(workerEvents(harness)).contains("worker.online");

            harness.stopWorker(worker);
            KeyValueEntry gone = fleet.get("fleet-a");
            assertThat(gone == null || gone.getOperation() != KeyValueOperation.PUT).isTrue();
            assertThat(workerEvents(harness)).containsSubsequence("worker.online", "worker.offline");
        }
    }

    @Test
    void aWorkerToldToEmbedOnAGpuThatIsNotThereRefusesToStartSayingWhy() throws Exception {
        try (WorkerHarness harness = new WorkerHarness()) {
            String missing = EmbeddingDevice.missingForGpu();
            assumeTrue(missing != null, "this machine has a usable GPU");

            assertThatThrownBy(() -> harness.startWorker(Map.of("mm.worker.id", "fleet-no-gpu",
                    "mm.embedding.device", "gpu")))
                    .hasStackTraceContaining("mm.embedding.device = gpu")
                    .hasStackTraceContaining(missing);
            // it never got as far as announcing itself
            assertThat(harness.connection().keyValueManagement().getBucketNames()).doesNotContain("mm_workers");
        }
    }

    @Test
    void aWorkerWhoseConsumerCannotStartIsNeverListed() throws Exception {
        try (WorkerHarness harness = new WorkerHarness()) {
            harness.startWorker(Map.of("mm.worker.id", "fleet-first"));
            KeyValue fleet = harness.connection().keyValue("mm_workers");
            await().atMost(Duration.ofSeconds(10)).until(() -> fleet.get("fleet-first") != null);

            // same pool, another filter: its consumer refuses to start, so the worker never runs
            assertThatThrownBy(() -> harness.startWorker(Map.of("mm.worker.id", "fleet-misfit",
                    "mm.consumer.online.filter", "mm.online.embed.>")))
                    .hasStackTraceContaining("has filter mm.online.>");
            assertThat(fleet.get("fleet-misfit")).isNull();
            assertThat(harness.readAll("MM_EVENTS", "mm.events.worker.>")).extracting(Message::getSubject)
                    .doesNotContain("mm.events.worker.online.fleet-misfit");
        }
    }

    @Test
    void aKilledWorkerDisappearsFromTheFleetViewWithinItsTtl() throws Exception {
        try (WorkerHarness harness = new WorkerHarness()) {
            Map<String, String> properties = new HashMap<>(harness.workerProperties());
            properties.put("mm.worker.id", "fleet-doomed");
            properties.put("mm.fleet.ttl", "3s");
            try (WorkerProcess doomed = WorkerProcess.start(properties)) {
                doomed.awaitStarted(Duration.ofSeconds(90));
                // it joins once Camel has fully started, a moment after its log says started: the bucket may not
                // be there yet
                await().atMost(Duration.ofSeconds(10)).ignoreExceptions()
                        .until(() -> harness.connection().keyValue("mm_workers").get("fleet-doomed") != null);
                KeyValue fleet = harness.connection().keyValue("mm_workers");

                doomed.kill();
                long killedAt = System.nanoTime();
                await().atMost(Duration.ofSeconds(15)).until(() -> fleet.get("fleet-doomed") == null);
                // gone by expiry, not by a goodbye: no offline event from a killed worker
                assertThat(Duration.ofNanos(System.nanoTime() - killedAt)).isLessThan(Duration.ofSeconds(15));
                assertThat(workerEvents(harness)).contains("worker.online").doesNotContain("worker.offline");
            }
        }
    }

    private static List<String> workerEvents(WorkerHarness harness) throws Exception {
        return harness.readAll("MM_EVENTS", "mm.events.worker.>").stream().map(message -> {
            try {
                return MAPPER.readTree(message.getData()).path("event").asText();
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }
}
