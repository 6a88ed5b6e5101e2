package dev.memorymodule.workers.dlq;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseJob;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static dev.memorymodule.workers.testsupport.WorkerHarness.fresh;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Predicate;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.f4b6a3.ulid.UlidCreator;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.testsupport.MmCli;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import io.nats.client.Message;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * {@code mm dlq} over a real worker: dead letters of three kinds are listed and inspected, a dry run changes nothing,
 * and after the worker is restarted with the model the first job asked for, replay completes that job, answers
 * duplicate for a key that completed meanwhile, and dead-letters an invalid job again for the same reason.
 * The methods run in order and share the dead letters the first one makes.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class DeadLetterReplayTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(30);
    /** Long enough for a worker to have published an event, had it been given a job. */
    private static final Duration QUIET = Duration.ofSeconds(2);

    private WorkerHarness harness;
    private JobClient client;
    private MmCli mm;
    private Main worker;

    // the dead letters the first test makes, by sequence in MM_DLQ
    private ObjectNode modelJob;
    private long modelLetter;
    private ObjectNode emptyWrite;
    private String fixedWriteId;
    private long emptyWriteLetter;
    private byte[] invalidJob;
    private long invalidLetter;

    @BeforeAll
    void start() throws Exception {
        harness = new WorkerHarness();
        worker = harness.startWorker(Map.of());
        client = new JobClient(harness.connection(), "mm.events.job");
        mm = new MmCli(harness.nats().url());
    }

    @AfterAll
    void stop() throws Exception {
        client.close();
        harness.close();
    }

    @Test
    @Order(1)
    void deadLettersOfEachKindAreListedOnePerLine() throws Exception {
        modelJob = embedJob("Доброго ранку", "good morning");
        ((ObjectNode) modelJob.path("input")).put("model", "bge-m3");
        JsonNode failed = runToOutcome(bytes(modelJob));
        assertThat(failed.path("event").asText()).isEqualTo("failed");
        assertThat(failed.path("reason").asText()).contains("bge-m3");
        modelLetter = sequenceOf(letter -> jobIdOf(modelJob).equals(letter.getHeaders().getFirst("Mm-Dlq-Job-Id")));

        // a write with no texts fails; the publisher then sends a fixed one under the same idempotency key
        emptyWrite = embedJob();
        emptyWrite.put("type", "pg_write");
        assertThat(runToOutcome(bytes(emptyWrite)).path("event").asText()).isEqualTo("failed");
        emptyWriteLetter = sequenceOf(l -> jobIdOf(emptyWrite).equals(l.getHeaders().getFirst("Mm-Dlq-Job-Id")));
        ObjectNode fixedWrite = emptyWrite.deepCopy();
        fixedWriteId = UlidCreator.getMonotonicUlid().toString();
        fixedWrite.put("job_id", fixedWriteId);
        ((ObjectNode) fixedWrite.path("input")).putArray("text").add("first memory").add("second memory");
        client.watch(fixedWriteId);
        // without Nats-Msg-Id: the key is still inside the server's duplicate window
        harness.connection().jetStream().publish("mm.write.pg_write.A.cpu", bytes(fixedWrite));
        assertThat(client.awaitEvent(fixedWriteId, OUTCOME_WAIT).path("event").asText()).isEqualTo("completed");
        assertThat(rowsOfKey(keyOf(emptyWrite))).isEqualTo(2);

        invalidJob = caseJob("05-invalid-job-id.json");
        assertThat(runToOutcome(invalidJob).path("event").asText()).isEqualTo("dead_lettered");
        invalidLetter = sequenceOf(letter -> Arrays.equals(letter.getData(), invalidJob));

        MmCli.Run all = mm.run("dlq", "list");
        assertThat(all.exitCode()).isZero();
        assertThat(all.out().lines()).hasSize(4).first().asString().contains("SEQ", "JOB", "REASON");
        assertThat(lineOf(all.out(), modelLetter)).contains("mm.dlq.online.embed", jobIdOf(modelJob), "failed",
                "bge-m3");
        assertThat(lineOf(all.out(), emptyWriteLetter)).contains("mm.dlq.write.pg_write", "failed", "input.text");
        assertThat(lineOf(all.out(), invalidLetter)).contains("not-a-ulid", "dead_lettered", "job_id");

        assertThat(mm.run("dlq", "list", "--reason", "BGE-M3").out().lines()).hasSize(2);
        assertThat(mm.run("dlq", "list", "--subject", "*.pg_write").out()).contains(jobIdOf(emptyWrite))
                .doesNotContain(jobIdOf(modelJob));
        assertThat(mm.run("dlq", "list", "--since", "1h").out().lines()).hasSize(4);
        assertThat(mm.run("dlq", "list", "--since", "2099-01-01T00:00:00Z").out()).contains("no dead letters match");
        MmCli.Run latest = mm.run("dlq", "list", "--limit", "1");
        assertThat(latest.out().lines()).hasSize(2);
        assertThat(lineOf(latest.out(), invalidLetter)).isNotEmpty();
        assertThat(latest.err()).contains("2 older");
    }

    @Test
    @Order(2)
    void inspectShowsTheHeadersAndTheJobPrettyPrinted() throws Exception {
        MmCli.Run run = mm.run("dlq", "inspect", Long.toString(modelLetter));

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("Mm-Dlq-Outcome: failed", "Mm-Dlq-Stream: MM_ONLINE",
                "Mm-Dlq-Subject: mm.online.embed.A.cpu", "Mm-Dlq-Deliveries: ", "Mm-Dlq-Job-Id: " + jobIdOf(modelJob),
                "Mm-Dlq-Reason: ", "JSON", "\"model\" : \"bge-m3\"", "Доброго ранку");
        assertThat(run.out().lines().filter(line -> line.contains("Mm-Dlq-Reason: "))).singleElement()
                .asString().contains("bge-m3");
        assertThat(mm.run("dlq", "inspect", "999999").exitCode()).isEqualTo(1);
        assertThat(mm.run("dlq", "inspect", "0").exitCode()).isEqualTo(1);
    }

    @Test
    @Order(3)
    void inspectShowsBytesThatAreNotTextInHex() throws Exception {
        byte[] binary = {(byte) 0xff, (byte) 0xfe, 0x00, 0x1b, 'j', 'o', 'b'};
        harness.connection().jetStream().publish("mm.online.embed.A.cpu", binary);
        long letter = awaitSequenceOf(l -> Arrays.equals(l.getData(), binary));

        MmCli.Run run = mm.run("dlq", "inspect", Long.toString(letter));
        assertThat(run.out()).contains("not UTF-8, in hex", "00000000  ff fe 00 1b 6a 6f 62", "|....job|")
                .contains("Mm-Dlq-Reason: invalid job", "payload is not valid JSON: it is not UTF-8");
    }

    @Test
    @Order(4)
    void dryRunPrintsWhatItWouldReplayAndPublishesNothing() throws Exception {
        long[] before = jobStreamsLastSequences();
        long events = messages("MM_EVENTS");
        long letters = messages("MM_DLQ");

        MmCli.Run run = mm.run("dlq", "replay", "--all", "--dry-run", "--purge-replayed");

        assertThat(run.exitCode()).isZero();
        assertThat(run.out()).contains("would replay     " + modelLetter + " to mm.online.embed.A.cpu as replay:"
                + modelLetter).contains("dry run, nothing was published or deleted");
        assertThat(run.out().lines().filter(line -> line.startsWith("would replay"))).hasSize(4);
        Thread.sleep(QUIET.toMillis());
        assertThat(jobStreamsLastSequences()).isEqualTo(before);
        assertThat(messages("MM_EVENTS")).isEqualTo(events);
        assertThat(messages("MM_DLQ")).isEqualTo(letters);
    }

    @Test
    @Order(5)
    void afterARestartWithTheModelMappedTheReplayedJobCompletes() throws Exception {
        harness.stopWorker(worker);
        worker = harness.startWorker(Map.of("mm.embedding.aliases", "custom:all-minilm-l6-v2,bge-m3:all-minilm-l6-v2"));
        String jobId = jobIdOf(modelJob);
        client.watch(jobId);

        MmCli.Run run = mm.run("dlq", "replay", Long.toString(modelLetter));

        assertThat(run.exitCode()).isZero();
        assertThat(run.out())
                .contains("replayed         " + modelLetter + " to mm.online.embed.A.cpu: MM_ONLINE");
        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event.path("event").asText()).isEqualTo("completed");
        assertThat(event.path("result").path("model").asText()).isEqualTo("all-minilm-l6-v2");
        assertThat(event.path("result").path("requested_model").asText()).isEqualTo("bge-m3");
        assertThat(event.path("result").path("vectors")).hasSize(2);

        // the same dead letter again, inside the duplicate window: the server keeps the first replay only
        MmCli.Run again = mm.run("dlq", "replay", Long.toString(modelLetter));
        assertThat(again.out())
                .contains("already replayed " + modelLetter + " the server dropped replay:" + modelLetter);
        Thread.sleep(QUIET.toMillis());
        assertThat(harness.events(jobId)).extracting(e -> e.path("event").asText())
                .containsExactly("failed", "completed");
    }

    @Test
    @Order(6)
    void replayOfAJobWhoseKeyCompletedMeanwhileIsADuplicateAndWritesNothing() throws Exception {
        String jobId = jobIdOf(emptyWrite);
        client.watch(jobId);

        MmCli.Run run = mm.run("dlq", "replay", Long.toString(emptyWriteLetter));

        assertThat(run.exitCode()).isZero();
        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event.path("event").asText()).isEqualTo("duplicate");
        assertThat(event.path("duplicate_of").asText()).isEqualTo(fixedWriteId);
        assertThat(rowsOfKey(keyOf(emptyWrite))).isEqualTo(2);
        assertThat(harness.database().count("SELECT count(*) FROM memories")).isEqualTo(2);
    }

    @Test
    @Order(7)
    void replayOfAnInvalidJobDeadLettersItAgainForTheSameReason() throws Exception {
        String reason = letterAt(invalidLetter).getHeaders().getFirst("Mm-Dlq-Reason");
        client.watch("not-a-ulid");

        MmCli.Run run = mm.run("dlq", "replay", "--reason", "ULID");

        assertThat(run.out()).contains("replayed         " + invalidLetter);
        JsonNode event = client.awaitEvent("not-a-ulid", OUTCOME_WAIT);
        assertThat(event.path("event").asText()).isEqualTo("dead_lettered");
        List<Message> copies = harness.deadLetters().stream()
                .filter(letter -> Arrays.equals(letter.getData(), invalidJob)).toList();
        assertThat(copies).hasSize(2);
        Message again = copies.get(1);
        assertThat(again.getHeaders().getFirst("Mm-Dlq-Reason")).isEqualTo(reason);
        assertThat(again.getHeaders().getFirst("Mm-Replay-Of")).isEqualTo("MM_DLQ:" + invalidLetter);
        assertThat(again.metaData().streamSequence()).isGreaterThan(invalidLetter);
    }

    @Test
    @Order(8)
    void purgeDeletesOnlyDeadLettersThatWereRepublished() throws Exception {
        MmCli.Run run = mm.run("dlq", "replay", Long.toString(modelLetter), "999999", "--purge-replayed");

        assertThat(run.exitCode()).isEqualTo(1);
        assertThat(run.out())
                .contains("deleted          " + modelLetter + " from MM_DLQ", "not found        999999");
        assertThat(mm.run("dlq", "list").out()).doesNotContain(jobIdOf(modelJob))
                .contains(jobIdOf(emptyWrite));
    }

    private JsonNode runToOutcome(byte[] payload) throws Exception {
        String jobId = client.jobId(payload);
        client.watch(jobId);
        client.publish(payload);
        JsonNode event = client.awaitEvent(jobId, OUTCOME_WAIT);
        assertThat(event).as("outcome event of job %s", jobId).isNotNull();
        return event;
    }

    private long sequenceOf(Predicate<Message> which) throws Exception {
        return harness.deadLetters().stream().filter(which).findFirst().orElseThrow().metaData().streamSequence();
    }

    private long awaitSequenceOf(Predicate<Message> which) {
        return await().atMost(OUTCOME_WAIT).until(() -> harness.deadLetters().stream().filter(which)
                .mapToLong(m -> m.metaData().streamSequence()).findFirst().orElse(0), seq -> seq > 0);
    }

    private Message letterAt(long sequence) throws Exception {
        return harness.deadLetters().stream().filter(m -> m.metaData().streamSequence() == sequence)
                .findFirst().orElseThrow();
    }

    private static String lineOf(String out, long sequence) {
        return out.lines().filter(line -> line.trim().startsWith(sequence + " ")).findFirst().orElse("");
    }

    private long[] jobStreamsLastSequences() throws Exception {
        return new long[] {lastSequence("MM_ONLINE"), lastSequence("MM_OFFLINE"), lastSequence("MM_WRITE")};
    }

    private long lastSequence(String stream) throws Exception {
        return harness.connection().jetStreamManagement().getStreamInfo(stream).getStreamState().getLastSequence();
    }

    private long messages(String stream) throws Exception {
        return harness.connection().jetStreamManagement().getStreamInfo(stream).getStreamState().getMsgCount();
    }

    private long rowsOfKey(String key) {
        return harness.database().count("SELECT count(*) FROM memories WHERE idempotency_key = ?", key);
    }

    private static String jobIdOf(ObjectNode job) {
        return job.path("job_id").asText();
    }

    private static String keyOf(ObjectNode job) {
        return job.path("idempotency_key").asText();
    }

    private static ObjectNode embedJob(String... texts) throws Exception {
        ObjectNode job = fresh(caseTree("03-retrieve-same-org.json"));
        job.put("type", "embed");
        ObjectNode input = (ObjectNode) job.path("input");
        input.put("model", "custom");
        var array = input.putArray("text");
        for (String text : texts) {
            array.add(text);
        }
        return job;
    }
}
