package dev.memorymodule.workers.metrics;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseJob;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static dev.memorymodule.workers.testsupport.WorkerHarness.fresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Locale;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.testsupport.PrometheusText;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.testsupport.WorkerHttp;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Health and metrics of a real worker over its HTTP server: readiness follows the job consumers and the NATS
 * connection, and the Prometheus scrape counts what the worker did.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class HealthAndMetricsTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(30);
    private static final String LIVE = "/observe/health/live";
    private static final String READY = "/observe/health/ready";
    private static final String ONLINE = "cpu-online";

    private WorkerHarness harness;
    private Main worker;
    private WorkerHttp http;
    private JobClient client;

    @BeforeAll
    void start() throws Exception {
        harness = new WorkerHarness();
        worker = harness.startWorker(Map.of("mm.metrics.pending-interval", "200ms"));
        http = WorkerHttp.of(worker);
        client = new JobClient(harness.connection(), "mm.events.job");
    }

    @AfterAll
    void stop() throws Exception {
        client.close();
        harness.close();
    }

    @Test
    @Order(1)
    void liveAndReadyAreUpWithTheNatsConnectionAmongTheReadinessChecks() throws Exception {
        HttpResponse<String> live = http.get(LIVE);
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.body()).contains("\"status\":\"UP\"");

        HttpResponse<String> ready = http.get(READY + "?exposureLevel=full");
        assertThat(ready.statusCode()).isEqualTo(200);
        assertThat(ready.body()).contains("\"name\":\"jetstream-nats\",\"status\":\"UP\"")
                .contains("\"name\":\"route:ingress-online\",\"status\":\"UP\"");
        // a NATS outage is not a reason to restart the worker: the check is readiness only
        assertThat(http.get(LIVE + "?exposureLevel=full").body()).doesNotContain("jetstream-nats");
    }

    @Test
    @Order(2)
    void outcomesAreCountedByTypeAndOutcomeWithDurationsAndDeadLetters() throws Exception {
        PrometheusText before = http.metrics();

        assertThat(runToOutcome(bytes(embedJob("count me"))).path("event").asText()).isEqualTo("completed");
        assertThat(runToOutcome(caseJob("05-invalid-job-id.json")).path("event").asText())
                .isEqualTo("dead_lettered");

        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> {
            PrometheusText after = http.metrics();
            assertThat(delta(before, after, "mm_jobs_total", "type", "embed", "outcome", "completed")).isEqualTo(1);
            assertThat(delta(before, after, "mm_jobs_total", "type", "invalid", "outcome", "dead_lettered"))
                    .isEqualTo(1);
            assertThat(delta(before, after, "mm_dead_letters_total", "type", "invalid", "outcome", "dead_lettered"))
                    .isEqualTo(1);
            assertThat(delta(before, after, "mm_dead_letters_total", "type", "embed")).isZero();
            assertThat(delta(before, after, "mm_job_duration_seconds_count", "type", "embed", "outcome",
                    "completed")).isEqualTo(1);
            // histograms: fixed buckets for the job timer and for Camel's per-route timer
            assertThat(after.has("mm_job_duration_seconds_bucket", "type", "embed", "le", "0.1")).isTrue();
            assertThat(after.has("camel_route_policy_seconds_bucket", "routeId", "ingress-online", "le", "1.0"))
                    .isTrue();
        });
    }

    @Test
    @Order(3)
    void aDeliveryAfterTheFirstIsCountedAsARedelivery() throws Exception {
        ObjectNode job = embedJob("wait for the key");
        String key = job.path("idempotency_key").asText();
        // another job holds the idempotency key: each delivery fails transiently and is redelivered
        harness.database().update("INSERT INTO job_ledger (org_id, idempotency_key, job_id, status, owner, "
                + "delivery, lease_until) VALUES (?, ?, '01JB2C3D4E5F6G7H8J9K0M1N2Z', 'running', 'elsewhere', 1, "
                + "now() + interval '1 hour')", orgOf(job), key);
        double before = http.metrics().sum("mm_redeliveries_total", "durable", ONLINE);

        String jobId = job.path("job_id").asText();
        client.watch(jobId);
        client.publish(bytes(job));
        await().atMost(OUTCOME_WAIT).until(() -> http.metrics().sum("mm_redeliveries_total", "durable", ONLINE)
                > before);
        harness.database().update("DELETE FROM job_ledger WHERE idempotency_key = ?", key);

        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event.path("event").asText()).isEqualTo("completed");
        // counted when the delivery's exchange ends, a moment after its event is stored
        long redeliveries = event.path("attempts").asLong() - 1;
        await().atMost(Duration.ofSeconds(5)).untilAsserted(() -> assertThat(
                http.metrics().sum("mm_redeliveries_total", "durable", ONLINE, "stream", "MM_ONLINE"))
                .isEqualTo(before + redeliveries));
    }

    @Test
    @Order(4)
    void aJobHeldByTheWorkerIsInFlight() throws Exception {
        ObjectNode job = embedJob("held while the ledger row is locked");
        String key = job.path("idempotency_key").asText();
        String jobId = job.path("job_id").asText();
        harness.database().update("INSERT INTO job_ledger (org_id, idempotency_key, job_id, status, owner, "
                + "delivery, lease_until) VALUES (?, ?, ?, 'running', 'nobody', 0, now())", orgOf(job), key, jobId);
        assertThat(http.metrics().sum("mm_jobs_in_flight", "durable", ONLINE)).isZero();

        try (Connection lock = harness.database().connect()) {
            // the worker's claim of the key waits on this row lock, so the job stays in its hands
            lock.setAutoCommit(false);
            try (PreparedStatement select = lock.prepareStatement(
                    "SELECT 1 FROM job_ledger WHERE idempotency_key = ? FOR UPDATE")) {
                select.setString(1, key);
                select.executeQuery().close();
            }
            client.watch(jobId);
            client.publish(bytes(job));
            await().atMost(Duration.ofSeconds(10))
                    .until(() -> http.metrics().sum("mm_jobs_in_flight", "durable", ONLINE) == 1);
            lock.rollback();
        }

        assertThat(client.awaitEvent(jobId, OUTCOME_WAIT).path("event").asText()).isEqualTo("completed");
        await().atMost(Duration.ofSeconds(5))
                .until(() -> http.metrics().sum("mm_jobs_in_flight", "durable", ONLINE) == 0);
    }

    @Test
    @Order(5)
    void readinessIsDownWhileAConsumerIsStoppedAndPendingCountsWhatWaits() throws Exception {
        worker.getCamelContext().getRouteController().stopRoute("ingress-online");
        HttpResponse<String> ready = http.get(READY);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("\"status\":\"DOWN\"").contains("route:ingress-online");
        assertThat(http.get(LIVE).statusCode()).isEqualTo(200);

        ObjectNode first = embedJob("waits one");
        ObjectNode second = embedJob("waits two");
        client.watch(first.path("job_id").asText());
        client.watch(second.path("job_id").asText());
        client.publish(bytes(first));
        client.publish(bytes(second));
        await().atMost(Duration.ofSeconds(10))
                .until(() -> http.metrics().sum("mm_consumer_pending", "durable", ONLINE) == 2);

        worker.getCamelContext().getRouteController().startRoute("ingress-online");
        assertThat(http.get(READY).statusCode()).isEqualTo(200);
        assertThat(client.awaitEvent(first.path("job_id").asText(), OUTCOME_WAIT)).isNotNull();
        assertThat(client.awaitEvent(second.path("job_id").asText(), OUTCOME_WAIT)).isNotNull();
        await().atMost(Duration.ofSeconds(10))
                .until(() -> http.metrics().sum("mm_consumer_pending", "durable", ONLINE) == 0);
    }

    @Test
    @Order(6)
    void readinessIsDownWhileNatsIsAwayAndUpAgainOnceReconnected() throws Exception {
        harness.nats().kill();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> {
            HttpResponse<String> ready = http.get(READY);
            assertThat(ready.statusCode()).isEqualTo(503);
            assertThat(ready.body()).contains("jetstream-nats").contains("NATS connection is");
        });
        assertThat(http.get(LIVE).statusCode()).isEqualTo(200);

        harness.nats().restart();
        await().atMost(Duration.ofSeconds(20)).until(() -> http.get(READY).statusCode() == 200);
    }

    @Test
    @Order(7)
    void readinessIsDownUntilTheJobConsumersAreStarted() throws Exception {
        Main idle = harness.startWorker(Map.of("camel.main.auto-startup", "false"));
        WorkerHttp idleHttp = WorkerHttp.of(idle);
        HttpResponse<String> ready = idleHttp.get(READY);
        assertThat(ready.statusCode()).isEqualTo(503);
        assertThat(ready.body()).contains("route:ingress-online");

        idle.getCamelContext().getRouteController().startAllRoutes();
        await().atMost(Duration.ofSeconds(10)).until(() -> idleHttp.get(READY).statusCode() == 200);
        harness.stopWorker(idle);
    }

    private JsonNode runToOutcome(byte[] payload) throws Exception {
        String jobId = client.jobId(payload);
        client.watch(jobId);
        client.publish(payload);
        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event).as("outcome event of job %s", jobId).isNotNull();
        return event;
    }

    private static double delta(PrometheusText before, PrometheusText after, String name, String... labels) {
        return after.sum(name, labels) - before.sum(name, labels);
    }

    private static ObjectNode embedJob(String text) throws Exception {
        ObjectNode job = fresh(caseTree("03-retrieve-same-org.json"));
        job.put("type", "embed");
        ObjectNode input = (ObjectNode) job.path("input");
        input.put("input_type", "search_document");
        input.put("model", "custom");
        input.putArray("text").add(text);
        return job;
    }

    private static String orgOf(ObjectNode job) {
        return job.path("tenant").path("org_id").asText().toLowerCase(Locale.ROOT);
    }
}
