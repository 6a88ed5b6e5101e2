package dev.memorymodule.workers.pipeline;

import static dev.memorymodule.workers.testsupport.WorkerHarness.bytes;
import static dev.memorymodule.workers.testsupport.WorkerHarness.caseTree;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.DynamicTest.dynamicTest;

import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.stream.Stream;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.f4b6a3.ulid.UlidCreator;
import dev.memorymodule.workers.client.JobSubjects;
import dev.memorymodule.workers.dlq.DeadLetterQuery;
import dev.memorymodule.workers.dlq.DeadLetterStore;
import dev.memorymodule.workers.testsupport.OutcomeWatcher;
import dev.memorymodule.workers.testsupport.WorkerHarness;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.Message;
import io.nats.client.api.MessageInfo;
import io.nats.client.api.PublishAck;
import org.apache.camel.ServiceStatus;
import org.apache.camel.main.Main;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * Everything a publisher can get wrong, on one real worker: each bad input ends in exactly one outcome event and,
 * unless it ran, one dead letter holding its bytes, with a reason a person can act on. Then a few thousand random
 * mutants of real jobs, each of which must end in exactly one terminal event. Through all of it the worker stays
 * up and its heap does not grow.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class BadInputTest {

    private static final Duration OUTCOME_WAIT = Duration.ofSeconds(30);
    private static final Duration FUZZ_WAIT = Duration.ofSeconds(240);
    private static final int FUZZ_MUTANTS = 2_000;
    private static final long FUZZ_SEED = 20_260_501L;
    private static final long HEAP_GROWTH_LIMIT = 64L << 20;
    /**
     * The online stream's message limit for this worker: below the server's own 1 MB max_payload, so that a message
     * over it reaches the server and is refused by JetStream, not by the client library.
     */
    private static final String ONLINE_MAX_MSG_SIZE = "512KiB";
    private static final int OVER_THE_LIMIT = 600 * 1024;
    private static final Set<String> TERMINAL = Set.of("completed", "failed", "dead_lettered", "expired",
            "duplicate");
    private static final ObjectMapper MAPPER = new ObjectMapper();

    private WorkerHarness harness;
    private Main worker;
    private OutcomeWatcher watcher;
    private long heapBefore;
    /** Every job message published, as stream:sequence. */
    private final List<String> published = new ArrayList<>();
    private long expectedDeadLetters;

    @BeforeAll
    void start() throws Exception {
        harness = new WorkerHarness();
        worker = harness.startWorker(Map.of("mm.streams.online.max-msg-size", ONLINE_MAX_MSG_SIZE));
        watcher = new OutcomeWatcher(harness.connection(), "mm.events.job");
        // one job first, so that what a worker builds once (model predictors, compiled code) is not counted as growth
        assertThat(publishAndAwait(bytes(PipelineTest.embedJob("warm up"))).path("event").asText())
                .isEqualTo("completed");
        heapBefore = usedHeapAfterGc();
    }

    @AfterAll
    void stop() throws Exception {
        watcher.close();
        harness.close();
    }

    /** A bad input, what it must end in, and words its reason must hold. */
    record BadInput(String name, byte[] payload, String subject, String outcome, String... reasonParts) {

        static BadInput deadLettered(String name, byte[] payload, String... reasonParts) {
            return new BadInput(name, payload, BadInputs.subjectOf(payload), "dead_lettered", reasonParts);
        }

        /** Published on the given subject rather than the one a client would compute. */
        static BadInput failedOn(String name, byte[] payload, String subject, String... reasonParts) {
            return new BadInput(name, payload, subject, "failed", reasonParts);
        }

        static BadInput failed(String name, byte[] payload, String... reasonParts) {
            return new BadInput(name, payload, BadInputs.subjectOf(payload), "failed", reasonParts);
        }

        static BadInput completed(String name, byte[] payload) {
            return new BadInput(name, payload, BadInputs.subjectOf(payload), "completed");
        }
    }

    @TestFactory
    @Order(1)
    Stream<DynamicTest> eachBadInputEndsInOneOutcomeWithAReason() throws Exception {
        return BadInputs.all().stream().map(input -> dynamicTest(input.name(), () -> check(input)));
    }

    @Test
    @Order(2)
    void messageOverTheStreamLimitIsRefusedByTheServerAndNeverReachesTheWorker() throws Exception {
        ObjectNode job = PipelineTest.embedJob("x".repeat(OVER_THE_LIMIT));
        long online = harness.connection().jetStreamManagement().getStreamInfo("MM_ONLINE").getStreamState()
                .getLastSequence();
        long events = messages("MM_EVENTS");

        assertThatThrownBy(() -> harness.connection().jetStream().publish("mm.online.embed.A.cpu", bytes(job)))
                .isInstanceOf(JetStreamApiException.class)
                .hasMessageContaining("maximum");

        Thread.sleep(2_000);
        assertThat(harness.connection().jetStreamManagement().getStreamInfo("MM_ONLINE").getStreamState()
                .getLastSequence()).isEqualTo(online);
        assertThat(messages("MM_EVENTS")).isEqualTo(events);
    }

    @Test
    @Order(3)
    void everyFuzzedJobGetsExactlyOneTerminalEvent() throws Exception {
        List<ObjectNode> seeds = BadInputs.fuzzSeeds();
        JobMutator mutator = new JobMutator(FUZZ_SEED);
        Random choice = new Random(FUZZ_SEED);
        long lettersBefore = messages("MM_DLQ");
        List<String> mutants = new ArrayList<>(FUZZ_MUTANTS);

        long started = System.nanoTime();
        for (int i = 0; i < FUZZ_MUTANTS; i++) {
            ObjectNode seed = seeds.get(choice.nextInt(seeds.size())).deepCopy();
            // most mutants get ids of their own so that valid ones run; the rest share their seed's key
            if (choice.nextInt(10) > 0) {
                BadInputs.renew(seed);
            }
            byte[] payload = mutator.mutate(seed);
            PublishAck ack = harness.connection().jetStream().publish(BadInputs.subjectOf(payload), payload);
            mutants.add(OutcomeWatcher.identity(ack));
        }
        long publishedMs = (System.nanoTime() - started) / 1_000_000;
        published.addAll(mutants);

        await().atMost(FUZZ_WAIT).pollInterval(Duration.ofMillis(500))
                .until(() -> mutants.stream().allMatch(id -> !watcher.events(id).isEmpty()));
        long doneMs = (System.nanoTime() - started) / 1_000_000;

        Map<String, Integer> outcomes = new TreeMap<>();
        for (String id : mutants) {
            List<JsonNode> events = watcher.events(id);
            assertThat(events).as("events of job message %s", id).hasSize(1);
            String outcome = events.get(0).path("event").asText();
            assertThat(TERMINAL).as("outcome of %s", id).contains(outcome);
            outcomes.merge(outcome, 1, Integer::sum);
        }
        long letters = outcomes.getOrDefault("failed", 0) + outcomes.getOrDefault("dead_lettered", 0);
        expectedDeadLetters += letters;
        await().atMost(OUTCOME_WAIT).until(() -> messages("MM_DLQ") == lettersBefore + letters);
        System.out.printf("fuzz: %d mutants (seed %d) published in %d ms, all outcomes in %d ms: %s%n",
                FUZZ_MUTANTS, FUZZ_SEED, publishedMs, doneMs, outcomes);
        assertThat(outcomes.keySet()).contains("completed", "dead_lettered");
    }

    @Test
    @Order(4)
    void theWorkerIsStillUpWithNothingLeftBehindAndItsHeapIsFlat() throws Exception {
        JsonNode event = publishAndAwait(bytes(PipelineTest.embedJob("still here after all of that")));
        assertThat(event.path("event").asText()).isEqualTo("completed");
        assertThat(worker.getCamelContext().getStatus()).isEqualTo(ServiceStatus.Started);
        assertThat(worker.getCamelContext().getRouteController().getRouteStatus("ingress-online"))
                .isEqualTo(ServiceStatus.Started);

        // nothing waiting, nothing redelivered in a loop: every job message was acked or terminated
        for (String stream : List.of("MM_ONLINE", "MM_OFFLINE", "MM_WRITE")) {
            await().atMost(OUTCOME_WAIT).until(() -> messages(stream) == 0);
        }
        // the stream is the record: each job message has exactly one event there too, however late it came
        Map<String, Integer> stored = new HashMap<>();
        for (Message message : harness.readAll("MM_EVENTS", "mm.events.>")) {
            stored.merge(OutcomeWatcher.identity(message), 1, Integer::sum);
        }
        for (String id : published) {
            assertThat(stored.get(id)).as("events stored for job message %s", id).isEqualTo(1);
        }
        assertThat(messages("MM_DLQ")).isEqualTo(expectedDeadLetters);
        // and what mm dlq reads them with finds every one, across many pulls
        long[] read = {0};
        new DeadLetterStore(harness.connection(), "MM_DLQ", "mm.dlq").forEach(DeadLetterQuery.ALL, l -> read[0]++);
        assertThat(read[0]).isEqualTo(expectedDeadLetters);

        long heapAfter = usedHeapAfterGc();
        System.out.printf("heap used after GC: %d MiB before, %d MiB after %d job messages%n", heapBefore >> 20,
                heapAfter >> 20, published.size());
        assertThat(heapAfter - heapBefore).isLessThan(HEAP_GROWTH_LIMIT);
    }

    private void check(BadInput input) throws Exception {
        long lettersBefore = messages("MM_DLQ");
        JsonNode event = publishAndAwait(input.subject(), input.payload());

        assertThat(event.path("event").asText()).as("outcome of %s: %s", input.name(), event)
                .isEqualTo(input.outcome());
        if (input.outcome().equals("completed")) {
            assertThat(messages("MM_DLQ")).isEqualTo(lettersBefore);
            return;
        }
        String reason = event.path("reason").asText("");
        assertThat(reason).contains(input.reasonParts());
        // what cannot succeed is not tried again
        assertThat(event.path("attempts").asLong()).as("attempts of %s", input.name()).isEqualTo(1);
        // a reason is for the publisher: what is wrong and where, not a Java class or a stack trace
        assertThat(reason).doesNotContainPattern("\\b(java|javax|com|org|dev|io)\\.[a-z]+\\.")
                .doesNotContain("Exception");
        expectedDeadLetters++;
        assertThat(messages("MM_DLQ")).isEqualTo(lettersBefore + 1);
        MessageInfo letter = lastDeadLetter();
        // the client library reads an empty body as null
        byte[] stored = letter.getData() == null ? new byte[0] : letter.getData();
        assertThat(stored).as("dead letter of %s holds the job as published", input.name())
                .isEqualTo(input.payload());
        assertThat(letter.getHeaders().getFirst("Mm-Dlq-Outcome")).isEqualTo(input.outcome());
        assertThat(letter.getHeaders().getFirst("Mm-Dlq-Reason")).isNotBlank();
    }

    private JsonNode publishAndAwait(byte[] payload) throws Exception {
        return publishAndAwait(BadInputs.subjectOf(payload), payload);
    }

    private JsonNode publishAndAwait(String subject, byte[] payload) throws Exception {
        PublishAck ack = harness.connection().jetStream().publish(subject, payload);
        String id = OutcomeWatcher.identity(ack);
        published.add(id);
        return watcher.await(id, OUTCOME_WAIT);
    }

    private MessageInfo lastDeadLetter() throws Exception {
        JetStreamManagement management = harness.connection().jetStreamManagement();
        return management.getMessage("MM_DLQ", management.getStreamInfo("MM_DLQ").getStreamState().getLastSequence());
    }

    private long messages(String stream) throws Exception {
        return harness.connection().jetStreamManagement().getStreamInfo(stream).getStreamState().getMsgCount();
    }

    /** The least of a few readings after a full GC: the heap the worker really holds, without garbage. */
    private static long usedHeapAfterGc() throws InterruptedException {
        long least = Long.MAX_VALUE;
        for (int i = 0; i < 3; i++) {
            System.gc();
            Thread.sleep(300);
            least = Math.min(least, ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed());
        }
        return least;
    }

    /** The bad inputs, and the seeds of the fuzzed ones. */
    static final class BadInputs {

        private static final Set<String> LANES = Set.of("online", "offline", "write");

        private BadInputs() {
        }

        static List<BadInput> all() throws Exception {
            List<BadInput> inputs = new ArrayList<>();
            notJobs(inputs);
            missingFields(inputs);
            wrongValues(inputs);
            textLimits(inputs);
            encodingAndControlCharacters(inputs);
            structure(inputs);
            return inputs;
        }

        private static void notJobs(List<BadInput> inputs) {
            inputs.add(BadInput.deadLettered("not JSON", utf8("hello, worker"), "not valid JSON", "line 1"));
            inputs.add(BadInput.deadLettered("binary bytes", new byte[] {0x00, (byte) 0x9c, (byte) 0xff, 0x10, 0x7f},
                    "not UTF-8"));
            inputs.add(BadInput.deadLettered("empty payload", new byte[0], "empty"));
            inputs.add(BadInput.deadLettered("white space only", utf8(" \n\t "), "empty"));
            inputs.add(BadInput.deadLettered("array", utf8("[{\"type\":\"embed\"}]"), "must be a JSON object",
                    "array"));
            inputs.add(BadInput.deadLettered("string", utf8("\"embed\""), "must be a JSON object", "string"));
            inputs.add(BadInput.deadLettered("number", utf8("42"), "must be a JSON object", "number"));
            inputs.add(BadInput.deadLettered("null", utf8("null"), "must be a JSON object", "null"));
        }

        private static void missingFields(List<BadInput> inputs) throws Exception {
            for (String path : List.of("job_id", "idempotency_key", "type", "priority", "tenant", "timestamps",
                    "tenant.org_id", "timestamps.created_at")) {
                ObjectNode job = job();
                int dot = path.lastIndexOf('.');
                ObjectNode parent = dot < 0 ? job : (ObjectNode) job.path(path.substring(0, dot));
                String field = path.substring(dot + 1);
                parent.remove(field);
                inputs.add(BadInput.deadLettered("missing " + path, bytes(job), "required", "'" + field + "'"));
            }
        }

        private static void wrongValues(List<BadInput> inputs) throws Exception {
            inputs.add(wrong("job_id a number", j -> j.put("job_id", 12345), "$.job_id", "string"));
            inputs.add(wrong("priority a boolean", j -> j.put("priority", true), "$.priority"));
            inputs.add(wrong("tenant a string", j -> j.put("tenant", "acme"), "$.tenant", "object"));
            inputs.add(wrong("input.text a string", j -> input(j).put("text", "one text"), "$.input.text", "array"));
            inputs.add(wrong("min_vram_gb a string", j -> requirements(j).put("min_vram_gb", "8"),
                    "$.requirements.min_vram_gb"));
            inputs.add(wrong("min_vram_gb negative", j -> requirements(j).put("min_vram_gb", -1),
                    "$.requirements.min_vram_gb"));
            inputs.add(wrong("priority not in the enum", j -> j.put("priority", "urgent"), "$.priority"));
            inputs.add(wrong("unknown job type", j -> j.put("type", "teleport"), "$.type"));
            inputs.add(wrong("trust zone not in the enum", j -> requirements(j).put("trust_zone", "Z"),
                    "$.requirements.trust_zone"));
            inputs.add(wrong("model not in the enum", j -> input(j).put("model", "gpt-4"), "$.input.model"));
            inputs.add(wrong("dims not in the enum", j -> input(j).put("dims", 100), "$.input.dims"));
            inputs.add(wrong("key without its prefix", j -> j.put("idempotency_key", "abc"), "$.idempotency_key"));
            inputs.add(wrong("ulid too short", j -> j.put("job_id", "01J8X9Y2Z3A4B5C6D7E8F9G0H"), "$.job_id"));
            inputs.add(wrong("ulid with a U", j -> j.put("job_id", "01J8X9Y2Z3A4B5C6D7E8F9G0HU"), "$.job_id"));
            inputs.add(wrong("malformed uuid", j -> tenant(j).put("org_id", "550e8400-e29b-41d4-a716-44665544000Z"),
                    "$.tenant.org_id"));
            inputs.add(wrong("malformed date-time", j -> timestamps(j).put("created_at", "yesterday"),
                    "$.timestamps.created_at"));
            inputs.add(wrong("impossible date", j -> timestamps(j).put("created_at", "2026-02-30T10:00:00Z"),
                    "$.timestamps.created_at"));
            inputs.add(wrong("malformed uri", j -> ((ObjectNode) j.path("refs")).put("artifact_uri", "not a uri"),
                    "$.refs.artifact_uri"));
            inputs.add(wrong("deadline before created_at", j -> {
                timestamps(j).put("created_at", "2026-05-01T10:00:00Z");
                timestamps(j).put("deadline", "2026-05-01T09:00:00Z");
            }, "deadline", "earlier than created_at"));
            // valid, of a type this worker does not run: handed over, and with no worker that runs it, failed
            ObjectNode retrieve = job();
            retrieve.put("type", "retrieve");
            inputs.add(BadInput.failed("valid type no worker here runs", bytes(retrieve),
                    "no worker that could run the job took it in 5 handovers", "job type retrieve"));
            // the same on the subject of another type: the payload decides, not the subject
            ObjectNode misplaced = job();
            misplaced.put("type", "retrieve");
            inputs.add(BadInput.failedOn("valid job on another type's subject", bytes(misplaced),
                    "mm.online.embed.A.cpu", "job type retrieve"));
        }

        private static void textLimits(List<BadInput> inputs) throws Exception {
            inputs.add(BadInput.failed("empty text array", bytes(PipelineTest.embedJob()), "input.text",
                    "at least one text"));
            String[] many = new String[513];
            Arrays.fill(many, "t");
            inputs.add(BadInput.failed("more texts than max-texts", bytes(PipelineTest.embedJob(many)), "513 texts",
                    "at most 512"));
            // within max-texts, but 512 vectors of 384 numbers make an event over the server's 1 MB max_payload
            String[] most = new String[512];
            Arrays.fill(most, "a short text of its own");
            inputs.add(BadInput.failed("a result too large for one event", bytes(PipelineTest.embedJob(most)),
                    "mm.events.job.completed.", "bytes the NATS server accepts"));
            inputs.add(BadInput.failed("a text of 300 KB", bytes(PipelineTest.embedJob("a".repeat(300_000))),
                    "input.text[0]", "300000 characters", "at most 200000"));
            ObjectNode write = PipelineTest.pgWriteJob();
            inputs.add(BadInput.failed("pg_write with no texts", bytes(write), "input.text"));
        }

        private static void encodingAndControlCharacters(List<BadInput> inputs) throws Exception {
            byte[] job = bytes(PipelineTest.embedJob("ok"));
            inputs.add(BadInput.deadLettered("invalid UTF-8 inside a string", replace(job, "\"ok\"",
                    new byte[] {'"', (byte) 0xc3, 0x28, '"'}), "not UTF-8", "byte offset"));
            inputs.add(BadInput.deadLettered("overlong UTF-8", replace(job, "\"ok\"",
                    new byte[] {'"', (byte) 0xc0, (byte) 0xaf, '"'}), "not UTF-8"));
            inputs.add(BadInput.deadLettered("UTF-8 encoded surrogate", replace(job, "\"ok\"",
                    new byte[] {'"', (byte) 0xed, (byte) 0xa0, (byte) 0x80, '"'}), "not UTF-8"));
            // raw control characters are not JSON; escaped ones are text like any other, but for NUL
            inputs.add(BadInput.deadLettered("raw control character in a string", replace(job, "\"ok\"",
                    new byte[] {'"', 'o', 0x07, 'k', '"'}), "not valid JSON", "line 1"));
            inputs.add(BadInput.completed("escaped control characters in a text",
                    bytes(PipelineTest.embedJob("bell\u0007 escape\u001b[31m tab\t line\nfeed\u007f"))));
            inputs.add(BadInput.failed("escaped NUL in an embed text", bytes(PipelineTest.embedJob("nul\u0000here")),
                    "input.text[0]", "NUL"));
            inputs.add(BadInput.failed("escaped NUL in a pg_write text",
                    bytes(PipelineTest.pgWriteJob("fine", "nul\u0000here")), "input.text[1]", "NUL"));
            // an escaped half of a surrogate pair is valid JSON but no character: stored, it would become a ?
            inputs.add(BadInput.failed("escaped lone surrogate in an embed text",
                    bytes(PipelineTest.embedJob("half \ud800 a pair")), "input.text[0]", "unpaired UTF-16 surrogate"));
            inputs.add(BadInput.failed("escaped lone low surrogate in a pg_write text",
                    bytes(PipelineTest.pgWriteJob("fine", "half \udc00 a pair")), "input.text[1]",
                    "unpaired UTF-16 surrogate"));
            inputs.add(BadInput.completed("escaped surrogate pair in a pg_write text",
                    bytes(PipelineTest.pgWriteJob("a whole pair \ud83d\ude00 is one character"))));
            inputs.add(wrong("control character in a uuid", j -> tenant(j).put("org_id",
                    "550e8400-e29b-41d4-a716-44665544000\u0007"), "$.tenant.org_id"));
        }

        private static void structure(List<BadInput> inputs) throws Exception {
            ObjectNode deep = job();
            ObjectNode level = deep.putObject("refs");
            for (int i = 0; i < 100; i++) {
                level = level.putObject("r");
            }
            inputs.add(BadInput.deadLettered("nesting past the limit inside a job", bytes(deep), "exceeds a limit",
                    "nesting"));
            inputs.add(BadInput.deadLettered("100000 opening brackets", utf8("[".repeat(100_000)), "exceeds a limit"));
            byte[] job = bytes(PipelineTest.embedJob("ok"));
            inputs.add(BadInput.deadLettered("duplicate key", replace(job, "{\"job_id\"",
                    utf8("{\"type\":\"pg_write\",\"job_id\"")), "not valid JSON", "type"));
            inputs.add(BadInput.deadLettered("trailing garbage", concat(job, utf8(" {}")), "unexpected content"));
            inputs.add(BadInput.deadLettered("number beyond a double", replace(job, "\"refs\":{}",
                    utf8("\"refs\":{\"n\":1e400}")), "too large"));
            // 200 KB of numbers where texts belong: one violation each, too many to list in one event
            String numbers = "[" + "1,".repeat(99_999) + "1]";
            inputs.add(BadInput.deadLettered("a hundred thousand violations", replace(job, "[\"ok\"]",
                    utf8(numbers)), "100000 violation(s)", "$.input.text[0]", "and 99900 more not listed"));
            inputs.add(BadInput.deadLettered("number with 100 digits", replace(job, "\"refs\":{}",
                    utf8("\"refs\":{\"n\":" + "9".repeat(100) + "}")), "exceeds a limit"));
        }

        private interface Change {
            void apply(ObjectNode job);
        }

        private static BadInput wrong(String name, Change change, String... reasonParts) throws Exception {
            ObjectNode job = job();
            change.apply(job);
            return BadInput.deadLettered(name, bytes(job), reasonParts);
        }

        /** A valid embed job with an empty refs object, so byte-level cases have a place to put things. */
        static ObjectNode job() throws Exception {
            ObjectNode job = PipelineTest.embedJob("a short text");
            job.putObject("refs");
            return job;
        }

        /** Real jobs of every kind this worker sees: embed and pg_write that run, others it refuses or expires. */
        static List<ObjectNode> fuzzSeeds() throws Exception {
            List<ObjectNode> seeds = new ArrayList<>();
            seeds.add(PipelineTest.embedJob("The user prefers green tea.", "Meeting moved to Thursday."));
            seeds.add(PipelineTest.pgWriteJob("first memory", "second memory"));
            seeds.add(job());
            for (String file : List.of("01-seed-example-embed.json", "02-index-three-memories.json",
                    "03-retrieve-same-org.json", "05-invalid-job-id.json", "06-missing-tenant.json",
                    "07-deadline-passed.json")) {
                seeds.add(caseTree(file));
            }
            ObjectNode offline = PipelineTest.embedJob("an offline text");
            offline.put("priority", "offline");
            seeds.add(offline);
            return seeds;
        }

        /** New job id and idempotency key; the timestamps stay, so a seed past its deadline still expires. */
        static void renew(ObjectNode job) {
            String jobId = UlidCreator.getMonotonicUlid().toString();
            job.put("job_id", jobId);
            job.put("idempotency_key", "sha256:" + jobId.toLowerCase(Locale.ROOT));
        }

        /**
         * The subject a client would publish these bytes on. A lane no stream takes (a priority that is not in the
         * enum) would be refused at publishing, so such a job goes to the online lane, where the worker sees it.
         */
        static String subjectOf(byte[] payload) {
            JsonNode tree;
            try {
                tree = MAPPER.readTree(payload);
            } catch (Exception e) {
                tree = null;
            }
            String subject = JobSubjects.subject(tree == null ? MAPPER.createObjectNode() : tree);
            String lane = subject.split("\\.")[1];
            return LANES.contains(lane) ? subject : subject.replaceFirst("^mm\\.[^.]+\\.", "mm.online.");
        }

        private static ObjectNode input(ObjectNode job) {
            return (ObjectNode) job.path("input");
        }

        private static ObjectNode requirements(ObjectNode job) {
            return (ObjectNode) job.path("requirements");
        }

        private static ObjectNode tenant(ObjectNode job) {
            return (ObjectNode) job.path("tenant");
        }

        private static ObjectNode timestamps(ObjectNode job) {
            return (ObjectNode) job.path("timestamps");
        }

        private static byte[] utf8(String text) {
            return text.getBytes(StandardCharsets.UTF_8);
        }

        private static byte[] concat(byte[] first, byte[] second) {
            byte[] out = Arrays.copyOf(first, first.length + second.length);
            System.arraycopy(second, 0, out, first.length, second.length);
            return out;
        }

        /** The bytes with the first occurrence of {@code target} (ASCII) replaced. */
        private static byte[] replace(byte[] bytes, String target, byte[] replacement) {
            String text = new String(bytes, StandardCharsets.ISO_8859_1);
            int at = text.indexOf(target);
            if (at < 0) {
                throw new IllegalArgumentException(target + " not found in the job");
            }
            byte[] out = new byte[bytes.length - target.length() + replacement.length];
            System.arraycopy(bytes, 0, out, 0, at);
            System.arraycopy(replacement, 0, out, at, replacement.length);
            System.arraycopy(bytes, at + target.length(), out, at + replacement.length,
                    bytes.length - at - target.length());
            return out;
        }
    }
}
