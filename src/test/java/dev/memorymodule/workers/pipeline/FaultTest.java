package dev.memorymodule.workers.pipeline;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.testsupport.TcpProxy;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.testsupport.WorkerProcess;
import io.nats.client.api.ConsumerInfo;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Faults in the middle of a job: the database going away, and a worker dying while it holds a job. Each must
 * end with the job completed exactly once: one completed event, one set of rows.
 */
class FaultTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(60);

    private WorkerHarness harness;
    private TcpProxy proxy;
    private JobClient client;

    @BeforeEach
    void start() throws Exception {
        harness = new WorkerHarness();
        proxy = TcpProxy.start(harness.database().host(), harness.database().port());
        client = new JobClient(harness.connection(), "mm.events.job");
    }

    @AfterEach
    void stop() throws Exception {
        client.close();
        proxy.close();
        harness.close();
    }

    @Test
    void jobRetriesWhilePostgresIsUnreachableAndCompletesOnceItIsBack() throws Exception {
        harness.startWorker(Map.of("mm.db.url", harness.database().jdbcUrlVia(proxy.port()),
                "mm.consumer.max-deliver", "50"));
        ObjectNode job = PipelineTest.pgWriteJob("kept safe", "through an outage");
        String jobId = job.path("job_id").asText();
        client.watch(jobId);

        proxy.cut();
        client.publish(bytes(job));
        // three deliveries at least, all failed: the consumer's delivery sequence counts every one of them
        await().atMost(OUTCOME_WAIT).until(() -> writeConsumer().getDelivered().getConsumerSequence() >= 3);
        assertThat(harness.events(jobId)).isEmpty();
        proxy.restore();

        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event).isNotNull();
        assertThat(event.path("event").asText()).isEqualTo("completed");
        assertThat(event.path("attempts").asLong()).isGreaterThanOrEqualTo(3);
        assertThat(rows(job)).isEqualTo(2);
        assertThat(harness.events(jobId)).hasSize(1);
        assertThat(harness.deadLetters()).isEmpty();
    }

    @Test
    void jobHeldByAKilledWorkerIsCompletedOnceByAnother() throws Exception {
        try (WorkerProcess doomed = startDoomedWorker(Map.of())) {
            ObjectNode job = PipelineTest.pgWriteJob("survives a crash", "exactly once");
            String jobId = job.path("job_id").asText();
            client.watch(jobId);

            // the first worker takes the job and hangs on a stalled database connection
            proxy.freeze();
            client.publish(bytes(job));
            await().atMost(OUTCOME_WAIT).until(() -> writeConsumer().getNumAckPending() == 1);
            // in-progress signals keep the job with its holder well past the 3 s ack wait
            Thread.sleep(7_000);
            assertThat(writeConsumer().getDelivered().getConsumerSequence()).isEqualTo(1);
            assertThat(writeConsumer().getNumAckPending()).isEqualTo(1);

            doomed.kill();
            harness.startWorker(Map.of("mm.worker.id", "worker-rescuer", "mm.consumer.ack-wait", "3s"));

            JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
            assertThat(event).isNotNull();
            assertThat(event.path("event").asText()).isEqualTo("completed");
            assertThat(event.path("worker_id").asText()).isEqualTo("worker-rescuer");
            assertThat(event.path("attempts").asLong()).isEqualTo(2);
            assertThat(rows(job)).isEqualTo(2);
            // nothing else arrives for it: no second completed, no duplicate
            Thread.sleep(5_000);
            assertThat(harness.events(jobId)).extracting(e -> e.path("event").asText())
                    .containsExactly("completed");
        }
    }

    @Test
    void lastDeliveryLostWithItsKilledWorkerEndsFailedAndDeadLetteredNotStuck() throws Exception {
        try (WorkerProcess doomed = startDoomedWorker(Map.of("mm.consumer.max-deliver", "1"))) {
            ObjectNode job = PipelineTest.pgWriteJob("dies with its worker", "on its only delivery");
            String jobId = job.path("job_id").asText();
            client.watch(jobId);

            // the only delivery the job has hangs on a stalled database in a worker that is then killed
            proxy.freeze();
            client.publish(bytes(job));
            await().atMost(OUTCOME_WAIT).until(() -> writeConsumer().getNumAckPending() == 1);
            doomed.kill();
            harness.startWorker(Map.of("mm.worker.id", "worker-rescuer", "mm.consumer.ack-wait", "3s",
                    "mm.consumer.max-deliver", "1"));

            // delivered once more, past its budget: reported and dead-lettered, not run, not left in the stream
            JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
            assertThat(event).isNotNull();
            assertThat(event.path("event").asText()).isEqualTo("failed");
            assertThat(event.path("worker_id").asText()).isEqualTo("worker-rescuer");
            assertThat(event.path("reason").asText()).contains("past the job's delivery budget");
            assertThat(rows(job)).isZero();
            assertThat(harness.deadLetters()).hasSize(1);
            await().atMost(OUTCOME_WAIT).until(() -> writeConsumer().getNumAckPending() == 0
                    && writeConsumer().getNumPending() == 0);
            assertThat(harness.connection().jetStreamManagement().getStreamInfo("MM_WRITE").getStreamState()
                    .getMsgCount()).isZero();
        }
    }

    /**
     * A worker in a process of its own whose database goes through the proxy, so that a frozen proxy makes it wait
     * for a connection, holding its job, until it is killed.
     */
    private WorkerProcess startDoomedWorker(Map<String, String> extra) throws Exception {
        Map<String, String> properties = new HashMap<>(harness.workerProperties());
        properties.put("mm.db.url", harness.database().jdbcUrlVia(proxy.port()));
        properties.put("mm.worker.id", "worker-killed");
        properties.put("mm.consumer.ack-wait", "3s");
        properties.put("mm.db.connection-timeout", "120s");
        properties.putAll(extra);
        WorkerProcess worker = WorkerProcess.start(properties);
        try {
            worker.awaitStarted(Duration.ofSeconds(90));
        } catch (Exception | AssertionError e) {
            worker.close();
            throw e;
        }
        return worker;
    }

    private ConsumerInfo writeConsumer() throws Exception {
        return harness.connection().jetStreamManagement().getConsumerInfo("MM_WRITE", "cpu-write");
    }

    private long rows(ObjectNode job) {
        return harness.database().count("SELECT count(*) FROM memories WHERE idempotency_key = ?",
                job.path("idempotency_key").asText());
    }

}
