package dev.memorymodule.workers.pipeline;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.cli.MmCommand;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.testsupport.WorkerProcess;
import io.nats.client.Message;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Graceful drain on SIGTERM under load, and online jobs that do not wait behind a queue of offline ones. */
class DrainAndPriorityTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void sigtermUnderLoadLosesNoJobAndDoublesNone() throws Exception {
        try (WorkerHarness harness = new WorkerHarness()) {
            Map<String, String> properties = new HashMap<>(harness.workerProperties());
            properties.put("mm.worker.id", "drained");
            try (WorkerProcess drained = WorkerProcess.start(properties);
                 JobClient client = new JobClient(harness.connection(), "mm.events.job")) {
                drained.awaitStarted(Duration.ofSeconds(90));
                List<String> keys = new ArrayList<>();
                for (int i = 0; i < 60; i++) {
                    ObjectNode job = PipelineTest.pgWriteJob("drain " + i + " a", "drain " + i + " b");
                    job.put("priority", "offline");
                    keys.add(job.path("idempotency_key").asText());
                    client.publish(bytes(job));
                }
                await().atMost(Duration.ofSeconds(60)).until(() -> terminalEvents(harness).size() >= 5);

                int exit = drained.terminate(Duration.ofSeconds(60));
                assertThat(drained.logText()).contains("Stopped consuming MM_WRITE");
                harness.startWorker(Map.of("mm.worker.id", "successor"));

                await().atMost(Duration.ofSeconds(90)).until(() -> terminalEvents(harness).size() >= 60);
                Thread.sleep(3_000);
                Map<String, Long> perJob = terminalEvents(harness).stream()
                        .collect(Collectors.groupingBy(e -> e.path("job_id").asText(), Collectors.counting()));
                assertThat(perJob).hasSize(60).allSatisfy((job, count) -> assertThat(count).isEqualTo(1));
                assertThat(terminalEvents(harness)).allSatisfy(e ->
                        assertThat(e.path("event").asText()).isEqualTo("completed"));
                assertThat(harness.database().count("SELECT count(*) FROM memories")).isEqualTo(120);
                assertThat(terminalEvents(harness)).extracting(e -> e.path("worker_id").asText())
                        .contains("drained", "successor");
                // SIGTERM is a normal stop for the JVM: it exits once drained, by the signal's status
                assertThat(exit).isIn(0, 143);
            }
        }
    }

    @Test
    void onlineJobFinishesWithinItsLatencyWhileAThousandOfflineJobsWait() throws Exception {
        try (WorkerHarness harness = new WorkerHarness();
             JobClient client = new JobClient(harness.connection(), "mm.events.job")) {
            // the backlog is there before any worker: the streams come from the init command
            assertThat(new CommandLine(new MmCommand()).execute("init-streams", "--nats", harness.nats().url()))
                    .isZero();
            for (int i = 0; i < 1000; i++) {
                ObjectNode job = PipelineTest.embedJob("offline text number " + i + " about the weather",
                        "a second offline sentence " + i, "and a third one " + i);
                job.put("priority", "offline");
                client.publish(bytes(job));
            }
            harness.startWorker(Map.of());
            // the offline lane is busy: wait until it has done some work
            await().atMost(Duration.ofSeconds(60)).until(() -> terminalEvents(harness).size() >= 20);

            ObjectNode online = PipelineTest.embedJob("What does the user like to drink?");
            ((ObjectNode) online.path("requirements")).put("max_latency_ms", 1500);
            String jobId = online.path("job_id").asText();
            client.watch(jobId);
            long published = System.currentTimeMillis();
            client.publish(bytes(online));
            JsonNode event = client.awaitEvent(jobId, Duration.ofSeconds(30));
            long elapsed = System.currentTimeMillis() - published;

            assertThat(event.path("event").asText()).isEqualTo("completed");
            System.out.printf("online job behind the offline backlog: %d ms end to end (queue %d ms, run %d ms)%n",
                    elapsed, event.path("timings").path("queue_ms").asLong(), event.path("timings").path("run_ms")
                            .asLong());
            assertThat(elapsed).as("online job end to end, ms").isLessThan(1500);
            long offlineLeft = harness.connection().jetStreamManagement().getStreamInfo("MM_OFFLINE")
                    .getStreamState().getMsgCount();
            assertThat(offlineLeft).as("offline jobs still queued when the online job finished").isGreaterThan(500);
        }
    }

    private static List<JsonNode> terminalEvents(WorkerHarness harness) throws Exception {
        List<JsonNode> events = new ArrayList<>();
        for (Message message : harness.readAll("MM_EVENTS", "mm.events.job.>")) {
            events.add(MAPPER.readTree(message.getData()));
        }
        return events;
    }
}
