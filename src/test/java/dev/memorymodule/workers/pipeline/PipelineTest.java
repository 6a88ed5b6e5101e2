package dev.memorymodule.workers.pipeline;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseJob;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static dev.memorymodule.workers.testsupport.WorkerHarness.fresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.networknt.schema.JsonSchema;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.job.JobValidator;
import dev.memorymodule.workers.testsupport.LogCapture;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.impl.Headers;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.TestInstance;

/**
 * The whole lifecycle on one real worker: jobs published to JetStream, their outcome events, dead letters and
 * rows read back from the real servers.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class PipelineTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(30);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private WorkerHarness harness;
    private JobClient client;

    @BeforeAll
    void start() throws Exception {
        harness = new WorkerHarness();
        harness.startWorker(Map.of());
        client = new JobClient(harness.connection(), "mm.events.job");
    }

    @AfterAll
    void stop() throws Exception {
        client.close();
        harness.close();
    }

    private JsonNode runToOutcome(byte[] payload) throws Exception {
        String jobId = client.jobId(payload);
        client.watch(jobId);
        client.publish(payload);
        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event).as("outcome event of job %s", jobId).isNotNull();
        return event;
    }

    private List<Message> deadLettersOf(String jobId) throws Exception {
        return harness.deadLetters().stream()
                .filter(m -> jobId.equals(m.getHeaders().getFirst("Mm-Dlq-Job-Id"))
                        || new String(m.getData(), StandardCharsets.UTF_8).contains("\"" + jobId + "\""))
                .toList();
    }

    @Test
    void seedExampleJobPassesValidationAndExpiresOnItsPastDeadline() throws Exception {
        JsonNode event = runToOutcome(caseJob("01-seed-example-embed.json"));

        assertThat(event.path("event").asText()).isEqualTo("expired");
        assertThat(event.has("errors")).isFalse();
        assertThat(event.path("reason").asText()).contains("2026-01-10T19:35:00Z");
        assertThat(deadLettersOf("01J8X9Y2Z3A4B5C6D7E8F9G0H1")).isEmpty();
    }

    @Test
    void invalidJobIdIsDeadLetteredAtOnceNamingJobIdAndUlid() throws Exception {
        byte[] payload = caseJob("05-invalid-job-id.json");
        JsonNode event = runToOutcome(payload);

        assertThat(event.path("event").asText()).isEqualTo("dead_lettered");
        assertThat(event.path("reason").asText()).contains("job_id").contains("ULID");
        assertThat(event.path("attempts").asLong()).isEqualTo(1);
        assertThat(event.path("errors").get(0).path("path").asText()).isEqualTo("$.job_id");
        List<Message> letters = deadLettersOf("not-a-ulid");
        assertThat(letters).hasSize(1);
        assertThat(letters.get(0).getData()).isEqualTo(payload);
        assertThat(letters.get(0).getHeaders().getFirst("Mm-Dlq-Reason")).contains("job_id");
        assertThat(letters.get(0).getHeaders().getFirst("Mm-Dlq-Deliveries")).isEqualTo("1");
        assertNotRedelivered("MM_ONLINE");
    }

    @Test
    void missingTenantIsDeadLetteredNamingTenant() throws Exception {
        JsonNode event = runToOutcome(caseJob("06-missing-tenant.json"));

        assertThat(event.path("event").asText()).isEqualTo("dead_lettered");
        assertThat(event.path("reason").asText()).contains("tenant");
        assertThat(deadLettersOf("01JB2C3D4E5F6G7H8J9K0M1N2S")).hasSize(1);
    }

    @Test
    void jobPastItsDeadlineExpiresWithoutWork() throws Exception {
        JsonNode event = runToOutcome(caseJob("07-deadline-passed.json"));

        assertThat(event.path("event").asText()).isEqualTo("expired");
        assertThat(harness.database().count("SELECT count(*) FROM memories WHERE job_id = ?",
                "01JB2C3D4E5F6G7H8J9K0M1N2T")).isZero();
        assertThat(harness.database().count("SELECT count(*) FROM job_ledger WHERE job_id = ?",
                "01JB2C3D4E5F6G7H8J9K0M1N2T")).isZero();
    }

    @Test
    void embedJobGivesRealUnitVectorsThatRankByMeaning() throws Exception {
        ObjectNode job = embedJob("The user prefers green tea every morning.",
                "The team meeting moved to Thursday at 10:00.",
                "What does the user like to drink in the morning?");
        JsonNode event = runToOutcome(bytes(job));

        assertThat(event.path("event").asText()).isEqualTo("completed");
        JsonNode result = event.path("result");
        assertThat(result.path("model").asText()).isEqualTo("all-minilm-l6-v2");
        assertThat(result.path("dims").asInt()).isEqualTo(384);
        float[][] vectors = MAPPER.treeToValue(result.path("vectors"), float[][].class);
        assertThat(vectors).hasNumberOfRows(3);
        for (float[] vector : vectors) {
            assertThat(vector).hasSize(384);
            assertThat(norm(vector)).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
        }
        assertThat(dot(vectors[0], vectors[2])).isGreaterThan(dot(vectors[1], vectors[2]) + 0.1);
        assertThat(event.path("trace_id").asText()).isEqualTo("bb0e8400-e29b-41d4-a716-446655440000");
        assertThat(event.path("timings").has("run_ms")).isTrue();
    }

    @Test
    void completedEventAlsoGoesToTheReplySubjectTheHeaderNames() throws Exception {
        ObjectNode job = embedJob("reply please");
        String jobId = job.path("job_id").asText();
        Subscription replies = harness.connection().subscribe("client.inbox." + jobId);
        Headers headers = new Headers().put("Mm-Reply-To", "client.inbox." + jobId)
                .put("Nats-Msg-Id", job.path("idempotency_key").asText());
        harness.connection().jetStream().publish("mm.online.embed.A.cpu", headers, bytes(job));

        Message reply = replies.nextMessage(OUTCOME_WAIT);
        assertThat(reply).isNotNull();
        JsonNode event = MAPPER.readTree(reply.getData());
        assertThat(event.path("event").asText()).isEqualTo("completed");
        assertThat(event.path("job_id").asText()).isEqualTo(jobId);
    }

    @Test
    void jobNeedingWhatNoWorkerHasIsHandedOverThenFailsWithTheReason() throws Exception {
        ObjectNode job = embedJob("Привіт");
        ((ObjectNode) job.path("input")).put("model", "cohere/embed-multilingual-v3.0");
        ((ObjectNode) job.path("requirements")).put("min_vram_gb", 8);
        String jobId = job.path("job_id").asText();
        client.watch(jobId);
        JobClient.Published published = client.publish(bytes(job));
        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event).as("outcome event of job %s", jobId).isNotNull();

        // handed over as a fresh message each time (its delivery budget whole); none came, so it ends with the reason
        assertThat(event.path("event").asText()).isEqualTo("failed");
        assertThat(event.path("reason").asText()).contains("no worker that could run the job took it in 5 handovers")
                .contains("embedding model cohere/embed-multilingual-v3.0").contains("8 GB of VRAM");
        assertThat(event.path("attempts").asLong()).isEqualTo(1);
        assertThat(deadLettersOf(jobId)).hasSize(1);
        // the outcome answers for the message the publisher stored, not for the last of its handed-over copies
        List<String> answered = harness.readAll("MM_EVENTS", "mm.events.>").stream()
                .filter(m -> m.getHeaders() != null && jobId.equals(m.getHeaders().getFirst("Mm-Job-Id")))
                .map(m -> m.getHeaders().getFirst("Nats-Msg-Id")).toList();
        assertThat(answered).containsExactly("failed:" + published.stream() + ":" + published.sequence());
    }

    @Test
    void dimsTheModelDoesNotProduceAreRefusedNotFaked() throws Exception {
        ObjectNode job = embedJob("some text");
        ((ObjectNode) job.path("input")).put("dims", 1024);
        JsonNode event = runToOutcome(bytes(job));

        assertThat(event.path("event").asText()).isEqualTo("failed");
        assertThat(event.path("reason").asText()).contains("1024").contains("384");
    }

    @Test
    void emptyTextListFailsPermanently() throws Exception {
        ObjectNode job = embedJob();
        JsonNode event = runToOutcome(bytes(job));

        assertThat(event.path("event").asText()).isEqualTo("failed");
        assertThat(event.path("reason").asText()).contains("input.text");
    }

    @Test
    void pgWriteStoresEachTextOnceAndARepublishIsADuplicate() throws Exception {
        ObjectNode job = pgWriteJob("first memory", "second memory", "third memory");
        String jobId = job.path("job_id").asText();
        String key = job.path("idempotency_key").asText();

        JsonNode first = runToOutcome(bytes(job));
        assertThat(first.path("event").asText()).isEqualTo("completed");
        assertThat(first.path("result").path("rows_written").asInt()).isEqualTo(3);
        assertThat(rowsOfKey(key)).isEqualTo(3);

        // the same job again inside the server's duplicate window: the server itself drops it
        JobClient.Published again = client.publish(bytes(job));
        assertThat(again.duplicate()).isTrue();

        // and published without Nats-Msg-Id (as after the window): the ledger answers duplicate, nothing is written
        client.watch(jobId);
        harness.connection().jetStream().publish("mm.write.pg_write.A.cpu", bytes(job));
        JsonNode duplicate = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(duplicate.path("event").asText()).isEqualTo("duplicate");
        assertThat(duplicate.path("duplicate_of").asText()).isEqualTo(jobId);
        assertThat(rowsOfKey(key)).isEqualTo(3);
        assertThat(harness.events(jobId)).extracting(e -> e.path("event").asText())
                .containsExactly("completed", "duplicate");
    }

    @Test
    void samePayloadUnderANewJobIdIsADuplicateOfTheFirst() throws Exception {
        ObjectNode job = pgWriteJob("only once");
        String firstId = job.path("job_id").asText();
        assertThat(runToOutcome(bytes(job)).path("event").asText()).isEqualTo("completed");

        job.put("job_id", com.github.f4b6a3.ulid.UlidCreator.getMonotonicUlid().toString());
        String secondId = job.path("job_id").asText();
        client.watch(secondId);
        harness.connection().jetStream().publish("mm.write.pg_write.A.cpu", bytes(job));
        JsonNode event = client.awaitEvent(secondId, OUTCOME_WAIT);

        assertThat(event.path("event").asText()).isEqualTo("duplicate");
        assertThat(event.path("duplicate_of").asText()).isEqualTo(firstId);
        assertThat(rowsOfKey(job.path("idempotency_key").asText())).isEqualTo(1);
    }

    @Test
    void everyLogLineOfAJobCarriesItsTraceAndJobIdsInvalidJobsToo() throws Exception {
        try (LogCapture log = LogCapture.open()) {
            ObjectNode valid = embedJob("logged with its ids");
            ObjectNode invalid = embedJob("logged although invalid");
            invalid.remove("tenant");
            String trace = valid.path("trace").path("trace_id").asText();
            assertThat(trace).isNotBlank();

            assertThat(runToOutcome(bytes(valid)).path("event").asText()).isEqualTo("completed");
            assertThat(runToOutcome(bytes(invalid)).path("event").asText()).isEqualTo("dead_lettered");

            for (ObjectNode job : List.of(valid, invalid)) {
                String jobId = job.path("job_id").asText();
                await().atMost(Duration.ofSeconds(5)).until(() -> !log.mentioning(jobId).isEmpty());
                assertThat(log.mentioning(jobId)).as("log lines of job %s", jobId).allSatisfy(line -> {
                    assertThat(line.mdc()).as(line.message()).containsEntry("job_id", jobId);
                    assertThat(line.mdc()).as(line.message()).containsEntry("trace_id", trace);
                });
            }
        }
    }

    @Test
    void theRunningWorkersLedgerRenewsTheLeasesOfItsJobs() {
        // Camel starts the idempotent repository with its route; unstarted, the ledger would renew nothing
        assertThat(Thread.getAllStackTraces().keySet()).extracting(Thread::getName).contains("job-ledger-lease");
    }

    @Test
    void twoOrgsUsingTheSameKeyEachGetTheirOwnWrite() throws Exception {
        ObjectNode orgA = pgWriteJob("org A's memory");
        ObjectNode orgB = pgWriteJob("org B's memory");
        orgB.put("idempotency_key", orgA.path("idempotency_key").asText());
        ((ObjectNode) orgB.path("tenant")).put("org_id", "111e8400-e29b-41d4-a716-446655440000");
        String key = orgA.path("idempotency_key").asText();
        String orgAJob = orgA.path("job_id").asText();

        assertThat(runToOutcome(bytes(orgA)).path("event").asText()).isEqualTo("completed");
        // published as the client publishes it, inside the server's duplicate window of org A's job
        JsonNode event = runToOutcome(bytes(orgB));

        assertThat(event.path("event").asText()).isEqualTo("completed");
        assertThat(event.toString()).doesNotContain(orgAJob);
        assertThat(harness.database().count("SELECT count(*) FROM memories WHERE idempotency_key = ? AND org_id = ?",
                key, UUID.fromString("111e8400-e29b-41d4-a716-446655440000"))).isEqualTo(1);
        assertThat(rowsOfKey(key)).isEqualTo(2);
    }

    @Test
    void notJsonIsDeadLetteredAndTheWorkerGoesOn() throws Exception {
        harness.connection().jetStream().publish("mm.online.embed.A.cpu", "\u0000\u00ffnot json".getBytes(
                StandardCharsets.ISO_8859_1));
        ObjectNode job = embedJob("still alive");
        JsonNode event = runToOutcome(bytes(job));

        assertThat(event.path("event").asText()).isEqualTo("completed");
        await().atMost(OUTCOME_WAIT).untilAsserted(() -> assertThat(harness.deadLetters())
                .anyMatch(m -> m.getHeaders().getFirst("Mm-Dlq-Reason").contains("not valid JSON")));
    }

    @Test
    @Order(Integer.MAX_VALUE)
    void everyEventStoredSoFarMatchesTheEventSchema() throws Exception {
        runToOutcome(bytes(embedJob("one more event")));
        JsonSchema schema = JobValidator.loadSchema("schemas/job-event-v1.json");
        List<Message> events = harness.readAll("MM_EVENTS", "mm.events.job.>");

        assertThat(events).hasSizeGreaterThan(5);
        for (Message message : events) {
            JsonNode event = MAPPER.readTree(message.getData());
            assertThat(schema.validate(event)).as("event %s", event).isEmpty();
            assertThat(message.getSubject()).startsWith("mm.events.job." + event.path("event").asText() + ".");
        }
    }

    private void assertNotRedelivered(String stream) throws Exception {
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(harness.connection()
                .jetStreamManagement().getStreamInfo(stream).getStreamState().getMsgCount()).isZero());
    }

    private long rowsOfKey(String key) {
        return harness.database().count("SELECT count(*) FROM memories WHERE idempotency_key = ?", key);
    }

    static ObjectNode embedJob(String... texts) throws Exception {
        ObjectNode job = fresh(caseTree("03-retrieve-same-org.json"));
        job.put("type", "embed");
        ObjectNode input = (ObjectNode) job.path("input");
        input.put("input_type", "search_document");
        input.put("model", "custom");
        var array = input.putArray("text");
        for (String text : texts) {
            array.add(text);
        }
        return job;
    }

    static ObjectNode pgWriteJob(String... texts) throws Exception {
        ObjectNode job = embedJob(texts);
        job.put("type", "pg_write");
        return job;
    }

    private static double norm(float[] vector) {
        return Math.sqrt(dot(vector, vector));
    }

    private static double dot(float[] a, float[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

}
