package dev.memorymodule.workers.http;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static dev.memorymodule.workers.testsupport.WorkerHarness.fresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.Map;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.f4b6a3.ulid.UlidCreator;
import dev.memorymodule.workers.jetstream.JetStreamComponent;
import dev.memorymodule.workers.job.JobRejectedException;
import dev.memorymodule.workers.job.JobValidator;
import dev.memorymodule.workers.job.Violation;
import dev.memorymodule.workers.testsupport.TcpProxy;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import dev.memorymodule.workers.testsupport.WorkerHttp;
import io.nats.client.Connection;
import io.nats.client.Subscription;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/** Jobs submitted and looked up over HTTP on a real worker, and the switch that turns the routes off. */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class JobGatewayTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private WorkerHarness harness;
    private Main worker;
    private WorkerHttp http;

    @BeforeAll
    void start() throws Exception {
        harness = new WorkerHarness();
        // nothing consumes the offline stream in this test, so an offline job stays queued
        worker = harness.startWorker(Map.of("mm.http.jobs.enabled", "true",
                "mm.consumer.offline.enabled", "false", "mm.nats.request-timeout", "1s"));
        http = WorkerHttp.of(worker);
    }

    @AfterAll
    void stop() throws Exception {
        harness.close();
    }

    @Test
    void postedJobIsAcceptedRunAndItsOutcomeCanBeRead() throws Exception {
        ObjectNode job = embedJob("submitted over HTTP");
        String jobId = job.path("job_id").asText();

        HttpResponse<String> posted = http.post("/jobs", bytes(job));
        assertThat(posted.statusCode()).isEqualTo(202);
        assertThat(posted.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        JsonNode accepted = MAPPER.readTree(posted.body());
        assertThat(accepted.path("job_id").asText()).isEqualTo(jobId);
        assertThat(accepted.path("subject").asText()).isEqualTo("mm.online.embed.A.cpu");
        assertThat(accepted.path("duplicate").asBoolean()).isFalse();

        await().atMost(OUTCOME_WAIT).untilAsserted(() -> {
            HttpResponse<String> status = http.get("/jobs/" + jobId);
            assertThat(status.statusCode()).isEqualTo(200);
            JsonNode event = MAPPER.readTree(status.body());
            assertThat(event.path("event").asText()).isEqualTo("completed");
            assertThat(event.path("job_id").asText()).isEqualTo(jobId);
            assertThat(event.path("result").path("dims").asInt()).isEqualTo(384);
        });
    }

    @Test
    void rePostInsideTheDuplicateWindowIsDroppedByTheServer() throws Exception {
        byte[] job = bytes(embedJob("twice"));
        assertThat(http.post("/jobs", job).statusCode()).isEqualTo(202);

        HttpResponse<String> again = http.post("/jobs", job);
        assertThat(again.statusCode()).isEqualTo(202);
        assertThat(MAPPER.readTree(again.body()).path("duplicate").asBoolean()).isTrue();
    }

    @Test
    void invalidJobIsRefusedWithEveryViolationAndNothingIsPublished() throws Exception {
        ObjectNode job = caseTree("06-missing-tenant.json");
        job.put("job_id", "not-a-ulid");
        long stored = storedJobs();

        HttpResponse<String> refused = http.post("/jobs", bytes(job));
        assertThat(refused.statusCode()).isEqualTo(400);
        JsonNode body = MAPPER.readTree(refused.body());
        assertThat(body.path("error").asText()).isEqualTo("invalid job");
        assertThat(body.path("violations").findValuesAsText("path")).contains("$.job_id");
        assertThat(body.path("violations").findValuesAsText("message")).anySatisfy(
                message -> assertThat(message).contains("tenant"));
        assertThat(body.path("violations").get(0).has("keyword")).isTrue();
        assertThat(body.path("violations").get(0).has("message")).isTrue();
        assertThat(storedJobs()).isEqualTo(stored);

        HttpResponse<String> notJson = http.post("/jobs", "{not json".getBytes(StandardCharsets.UTF_8));
        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(MAPPER.readTree(notJson.body()).path("violations")).isNotEmpty();
    }

    @Test
    void jobLargerThanItsStreamStoresIsRefusedWith413() throws Exception {
        ObjectNode job = embedJob("x");
        // four texts of 300 000 characters: each is within the schema, together they pass the 1 MiB of MM_ONLINE
        var texts = ((ObjectNode) job.path("input")).putArray("text");
        for (int i = 0; i < 4; i++) {
            texts.add("a".repeat(300_000));
        }

        HttpResponse<String> refused = http.post("/jobs", bytes(job));
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(MAPPER.readTree(refused.body()).path("reason").asText()).contains("MM_ONLINE");
    }

    @Test
    void jobOverTheServersMaxPayloadIsRefusedWith413() throws Exception {
        ObjectNode job = embedJob("x");
        job.put("priority", "offline");
        // 3 MB in texts each within the string limit: MM_OFFLINE stores 8 MiB, the test server takes 1 MB
        var texts = ((ObjectNode) job.path("input")).putArray("text");
        for (int i = 0; i < 4; i++) {
            texts.add("a".repeat(750_000));
        }
        byte[] payload = bytes(job);
        long maxPayload = harness.connection().getMaxPayload();
        long stored = storedJobs();

        HttpResponse<String> refused = http.post("/jobs", payload);
        assertThat(refused.statusCode()).isEqualTo(413);
        JsonNode body = MAPPER.readTree(refused.body());
        assertThat(body.path("error").asText()).isEqualTo("job too large");
        assertThat(body.path("reason").asText()).contains(Integer.toString(payload.length))
                .contains(Long.toString(maxPayload)).contains("max_payload");
        assertThat(storedJobs()).isEqualTo(stored);
    }

    @Test
    void stringLongerThanAJobMayHoldIsRefusedWithTheLimitAndAsTheWorkersWould() throws Exception {
        ObjectNode job = embedJob("a".repeat(3_000_000));
        job.put("priority", "offline");
        byte[] payload = bytes(job);

        HttpResponse<String> refused = http.post("/jobs", payload);
        assertThat(refused.statusCode()).isEqualTo(400);
        JsonNode violation = MAPPER.readTree(refused.body()).path("violations").get(0);
        assertThat(violation.path("keyword").asText()).isEqualTo("limit");
        assertThat(violation.path("message").asText()).isEqualTo("payload exceeds a limit of this worker: a string "
                + "value is longer than the " + JobValidator.DEFAULT_MAX_STRING_LENGTH + " characters a job may hold");
        // the workers' intake reads jobs with the same validator: a dead letter of this job gives the same reason
        assertThatThrownBy(() -> new JobValidator().validate(payload)).isInstanceOfSatisfying(
                JobRejectedException.class, rejected -> assertThat(rejected.violations()).extracting(
                        Violation::message).containsExactly(violation.path("message").asText()));
    }

    @Test
    void bodyOverTheServersLimitIsRefusedWithAJson413() throws Exception {
        byte[] body = new byte[9 * 1024 * 1024];
        Arrays.fill(body, (byte) ' ');

        HttpResponse<String> refused = http.post("/jobs", body);
        assertThat(refused.statusCode()).isEqualTo(413);
        assertThat(refused.headers().firstValue("Content-Type")).hasValueSatisfying(
                type -> assertThat(type).startsWith("application/json"));
        JsonNode answer = MAPPER.readTree(refused.body());
        assertThat(answer.path("error").asText()).isEqualTo("request too large");
        assertThat(answer.path("reason").asText()).contains("8388608");
    }

    @Test
    void jobPublishedWithoutAnAcknowledgementGets503SayingItMayBeStoredAndIsSafeToResubmit() throws Exception {
        try (TcpProxy proxy = TcpProxy.start("127.0.0.1", harness.nats().port())) {
            // a gateway of its own, behind a link that can stall while its connection still looks connected
            Main gateway = harness.startWorker(Map.of("mm.nats.url", "nats://127.0.0.1:" + proxy.port(),
                    "mm.http.jobs.enabled", "true", "mm.nats.request-timeout", "1s",
                    "mm.consumer.online.enabled", "false", "mm.consumer.offline.enabled", "false",
                    "mm.consumer.write.enabled", "false"));
            WorkerHttp gatewayHttp = WorkerHttp.of(gateway);
            ObjectNode job = embedJob("acknowledgement lost");
            job.put("priority", "offline");
            String jobId = job.path("job_id").asText();
            long stored = lastSequence("MM_OFFLINE");

            proxy.freeze();
            HttpResponse<String> unanswered;
            try {
                unanswered = gatewayHttp.post("/jobs", bytes(job));
            } finally {
                proxy.restore();
            }
            assertThat(unanswered.statusCode()).isEqualTo(503);
            assertThat(unanswered.headers().firstValue("Retry-After")).hasValue(JobGateway.RETRY_AFTER_SECONDS);
            JsonNode body = MAPPER.readTree(unanswered.body());
            assertThat(body.path("job_id").asText()).isEqualTo(jobId);
            assertThat(body.path("reason").asText()).contains("may or may not have been stored")
                    .contains("Submitting the same job again is safe");

            // the stalled publish went on once the link was back: the job is stored, and the same job again is not
            HttpResponse<String> again = gatewayHttp.post("/jobs", bytes(job));
            assertThat(again.statusCode()).isEqualTo(202);
            assertThat(MAPPER.readTree(again.body()).path("duplicate").asBoolean()).isTrue();
            assertThat(lastSequence("MM_OFFLINE")).isEqualTo(stored + 1);
            assertThat(new String(harness.connection().jetStreamManagement().getMessage("MM_OFFLINE", stored + 1)
                    .getData(), StandardCharsets.UTF_8)).contains(jobId);
            harness.stopWorker(gateway);
        }
    }

    @Test
    void clientHeadersDoNotTravelWithTheJob() throws Exception {
        ObjectNode job = embedJob("no reply wanted");
        String jobId = job.path("job_id").asText();
        // a reply subject in an HTTP header must not become the job's Mm-Reply-To
        Subscription replies = harness.connection().subscribe("http.client.replies");

        HttpResponse<String> posted = http.post("/jobs", bytes(job), "Mm-Reply-To", "http.client.replies");
        assertThat(posted.statusCode()).isEqualTo(202);
        await().atMost(OUTCOME_WAIT).until(() -> http.get("/jobs/" + jobId).body().contains("\"completed\""));
        assertThat(replies.nextMessage(Duration.ofMillis(500))).isNull();
    }

    @Test
    void statusOfAJobNobodySubmittedIsUnknownAndABadIdIsRefused() throws Exception {
        HttpResponse<String> unknown = http.get("/jobs/" + UlidCreator.getMonotonicUlid());
        assertThat(unknown.statusCode()).isEqualTo(404);
        assertThat(MAPPER.readTree(unknown.body()).path("status").asText()).isEqualTo("unknown");

        assertThat(http.get("/jobs/mm.events.%3E").statusCode()).isEqualTo(400);
    }

    @Test
    void jobAcceptedButNotYetRunIsPending() throws Exception {
        ObjectNode job = embedJob("waits in the queue");
        job.put("priority", "offline");
        String jobId = job.path("job_id").asText();

        HttpResponse<String> posted = http.post("/jobs", bytes(job));
        assertThat(MAPPER.readTree(posted.body()).path("subject").asText()).isEqualTo("mm.offline.embed.A.cpu");
        HttpResponse<String> status = http.get("/jobs/" + jobId);
        assertThat(status.statusCode()).isEqualTo(200);
        assertThat(MAPPER.readTree(status.body()).path("status").asText()).isEqualTo("pending");
    }

    @Test
    void jobRoutesAreOffUnlessEnabled() throws Exception {
        Main plain = harness.startWorker(Map.of("mm.consumer.online.enabled", "false",
                "mm.consumer.offline.enabled", "false", "mm.consumer.write.enabled", "false"));
        WorkerHttp plainHttp = WorkerHttp.of(plain);

        assertThat(plainHttp.post("/jobs", bytes(embedJob("nobody takes this"))).statusCode()).isEqualTo(404);
        assertThat(plainHttp.get("/jobs/" + UlidCreator.getMonotonicUlid()).statusCode()).isEqualTo(404);
        assertThat(plainHttp.get("/observe/health/ready").statusCode()).isEqualTo(200);
        harness.stopWorker(plain);
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void jobThatNatsCannotTakeGets503AndIsNotStoredWhenNatsIsBack() throws Exception {
        Connection workerConnection = worker.getCamelContext().getComponent("jetstream", JetStreamComponent.class)
                .connection();
        ObjectNode job = embedJob("no server");
        String jobId = job.path("job_id").asText();
        long stored = storedJobs();
        harness.nats().kill();
        await().atMost(OUTCOME_WAIT).until(() -> workerConnection.getStatus() != Connection.Status.CONNECTED);

        HttpResponse<String> refused = http.post("/jobs", bytes(job));
        assertThat(refused.statusCode()).isEqualTo(503);
        assertThat(refused.headers().firstValue("Retry-After")).hasValue(JobGateway.RETRY_AFTER_SECONDS);
        JsonNode body = MAPPER.readTree(refused.body());
        assertThat(body.path("error").asText()).isEqualTo("job store unavailable");
        assertThat(body.path("reason").asText()).isEqualTo("NATS is unreachable; the job was not published");
        assertThat(http.get("/jobs/" + UlidCreator.getMonotonicUlid()).statusCode()).isEqualTo(503);

        harness.nats().restart();
        await().atMost(OUTCOME_WAIT).until(() -> workerConnection.getStatus() == Connection.Status.CONNECTED);
        // anything the client had buffered is sent on reconnect before what comes after it, such as this job
        ObjectNode after = embedJob("after the restart");
        assertThat(http.post("/jobs", bytes(after)).statusCode()).isEqualTo(202);
        await().atMost(OUTCOME_WAIT).until(() -> !harness.events(after.path("job_id").asText()).isEmpty());
        assertThat(storedJobs()).isEqualTo(stored + 1);
        assertThat(harness.events(jobId)).isEmpty();
    }

    private long lastSequence(String stream) throws Exception {
        return harness.connection().jetStreamManagement().getStreamInfo(stream).getStreamState().getLastSequence();
    }

    private long storedJobs() throws Exception {
        long total = 0;
        var management = harness.connection().jetStreamManagement();
        for (String stream : new String[] { "MM_ONLINE", "MM_OFFLINE", "MM_WRITE" }) {
            total += management.getStreamInfo(stream).getStreamState().getLastSequence();
        }
        return total;
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
}
