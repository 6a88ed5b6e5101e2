package dev.memorymodule.workers.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.fail;
import static org.assertj.core.api.Assertions.tuple;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.function.Consumer;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class JobValidatorTest {

    /** The shared test cases sit beside the project directory, which is the working directory of a Maven test run. */
    private static final Path SHARED = Path.of("..", "shared");
    private static final Path CASES = SHARED.resolve("cases").resolve("jobs");
    private static final Path SEED_EXAMPLE = SHARED.resolve("seed").resolve("example-embed-job.json");

    private static final String VALID_CASE = "01-seed-example-embed.json";
    private static final String NO_DEADLINE_CASE = "02-index-three-memories.json";

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final JobValidator VALIDATOR = new JobValidator();

    @ParameterizedTest
    @ValueSource(strings = {"01-seed-example-embed.json", "02-index-three-memories.json", "03-retrieve-same-org.json",
            "04-retrieve-other-org.json", "07-deadline-passed.json"})
    void acceptsTheValidCases(String file) {
        assertThatCode(() -> VALIDATOR.validate(read(caseFile(file)))).doesNotThrowAnyException();
    }

    @Test
    void acceptsTheSeedExample() {
        assertThat(SEED_EXAMPLE).as("seed example (run the tests from the project directory)").isRegularFile();

        assertThat(VALIDATOR.validate(read(SEED_EXAMPLE)).jobId()).isEqualTo("01J8X9Y2Z3A4B5C6D7E8F9G0H1");
    }

    @Test
    void readsTheFieldsOfAJob() {
        ValidatedJob job = VALIDATOR.validate(read(caseFile(VALID_CASE)));

        assertThat(job.jobId()).isEqualTo("01J8X9Y2Z3A4B5C6D7E8F9G0H1");
        assertThat(job.idempotencyKey()).isEqualTo("sha256:abc123...");
        assertThat(job.type()).isEqualTo("embed");
        assertThat(job.priority()).isEqualTo("online");
        assertThat(job.orgId()).isEqualTo("550e8400-e29b-41d4-a716-446655440000");
        assertThat(job.workspaceId()).isEqualTo("660e8400-e29b-41d4-a716-446655440000");
        assertThat(job.userId()).isEqualTo("770e8400-e29b-41d4-a716-446655440000");
        assertThat(job.agentId()).isEqualTo("880e8400-e29b-41d4-a716-446655440000");
        assertThat(job.threadId()).isEqualTo("990e8400-e29b-41d4-a716-446655440000");
        assertThat(job.traceId()).isEqualTo("bb0e8400-e29b-41d4-a716-446655440000");
        assertThat(job.createdAt()).isEqualTo(Instant.parse("2026-01-10T19:30:00Z"));
        assertThat(job.deadline()).contains(Instant.parse("2026-01-10T19:35:00Z"));
        assertThat(job.texts()).containsExactly("Привіт, це тестовий текст для embedding");
        assertThat(job.inputType()).isEqualTo("search_document");
        assertThat(job.model()).isEqualTo("cohere/embed-multilingual-v3.0");
        assertThat(job.dims()).isEqualTo(1024);
        assertThat(job.needsGpu()).isTrue();
        assertThat(job.minVramGb()).isEqualTo(8);
        assertThat(job.trustZone()).isEqualTo("A");
        assertThat(job.tier()).isEqualTo("A");
    }

    @Test
    void leavesOutWhatTheJobLeavesOut() {
        ValidatedJob job = VALIDATOR.validate(read(caseFile("04-retrieve-other-org.json")));

        assertThat(job.workspaceId()).isNull();
        assertThat(job.userId()).isNull();
        assertThat(job.deadline()).isEmpty();
        assertThat(job.dims()).isNull();
        assertThat(job.minVramGb()).isZero();
        assertThat(job.needsGpu()).isFalse();

        ValidatedJob bare = VALIDATOR.validate(change(VALID_CASE, root -> {
            root.remove(List.of("scope", "requirements", "input", "refs", "trace"));
            ((ObjectNode) root.get("tenant")).remove("workspace_id");
        }));
        assertThat(bare.texts()).isEmpty();
        assertThat(bare.traceId()).isNull();
        assertThat(bare.model()).isNull();
        assertThat(bare.inputType()).isNull();
        assertThat(bare.trustZone()).isNull();
    }

    @Test
    void rejectsAJobIdThatIsNotAUlid() {
        List<Violation> violations = rejectionOf(read(caseFile("05-invalid-job-id.json")));

        assertThat(violations).containsExactly(new Violation("$.job_id", "format",
                "\"not-a-ulid\" is not a valid ULID (26 Crockford base32 characters)"));
    }

    @Test
    void rejectsAJobWithoutTenantAndNamesIt() {
        List<Violation> violations = rejectionOf(read(caseFile("06-missing-tenant.json")));

        assertThat(violations).containsExactly(new Violation("$", "required", "required property 'tenant' is missing"));
        assertThat(violations.get(0)).hasToString("$: required property 'tenant' is missing");
    }

    @Test
    void listsEveryViolationOfAJob() {
        byte[] payload = change(VALID_CASE, root -> {
            root.put("job_id", "not-a-ulid");
            root.remove("priority");
            root.put("type", "teleport");
            ((ObjectNode) root.get("tenant")).put("org_id", "acme");
            ((ObjectNode) root.get("requirements")).put("min_vram_gb", "8");
            ((ObjectNode) root.get("timestamps")).put("deadline", "2026-01-10T19:00:00Z");
        });

        JobRejectedException rejection = rejectedBy(payload);

        assertThat(rejection.violations()).extracting(Violation::path, Violation::keyword).containsExactly(
                tuple("$", "required"),
                tuple("$.job_id", "format"),
                tuple("$.requirements.min_vram_gb", "type"),
                tuple("$.tenant.org_id", "format"),
                tuple("$.timestamps.deadline", "deadline"),
                tuple("$.type", "enum"));
        assertThat(rejection.getMessage()).startsWith("invalid job: 6 violation(s): ")
                .contains("required property 'priority' is missing");
    }

    @Test
    void rejectsTextThatIsNotJson() {
        Violation violation = onlyViolation("this is not json".getBytes(StandardCharsets.UTF_8));

        assertThat(violation.path()).isEqualTo("$");
        assertThat(violation.keyword()).isEqualTo("json");
        assertThat(violation.message()).startsWith("payload is not valid JSON at line 1, column ");
    }

    @Test
    void rejectsBrokenJsonAndSaysWhere() {
        Violation violation = onlyViolation("{\n  \"job_id\": \"01J8X9Y2Z3A4B5C6D7E8F9G0H1\",\n  \"type\" \"embed\"\n}"
                .getBytes(StandardCharsets.UTF_8));

        assertThat(violation.keyword()).isEqualTo("json");
        assertThat(violation.message()).startsWith("payload is not valid JSON at line 3, column ");
    }

    @Test
    void rejectsBinaryBytes() {
        byte[] pngHeader = {(byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0, 0, 0x0d};

        Violation violation = onlyViolation(pngHeader);

        assertThat(violation.keyword()).isEqualTo("json");
        assertThat(violation.message()).isEqualTo(
                "payload is not valid JSON: it is not UTF-8 (invalid byte sequence at byte offset 0)");
    }

    @Test
    void rejectsControlCharactersThatAreValidUtf8() {
        Violation violation = onlyViolation(new byte[] {0, 1, 2, 3});

        assertThat(violation.keyword()).isEqualTo("json");
        assertThat(violation.message()).startsWith("payload is not valid JSON at line 1, column ");
    }

    @Test
    void rejectsInvalidUtf8InsideAString() {
        byte[] payload = read(caseFile(VALID_CASE));
        int offset = indexOf(payload, "embedding\"".getBytes(StandardCharsets.UTF_8));
        // 0xC3 starts a two-byte sequence that '(' cannot continue
        payload[offset] = (byte) 0xC3;
        payload[offset + 1] = '(';

        Violation violation = onlyViolation(payload);

        assertThat(violation.keyword()).isEqualTo("json");
        assertThat(violation.message()).endsWith("not UTF-8 (invalid byte sequence at byte offset " + offset + ")");
    }

    @Test
    void rejectsAnEmptyPayload() {
        assertThat(onlyViolation(new byte[0])).isEqualTo(
                new Violation("$", "json", "payload is not valid JSON: it is empty"));
        assertThat(onlyViolation(" \n ".getBytes(StandardCharsets.UTF_8)).keyword()).isEqualTo("json");
        assertThat(onlyViolation(null).keyword()).isEqualTo("json");
    }

    @Test
    void rejectsJsonThatIsNotAnObject() {
        assertThat(onlyViolation("[{\"job_id\": \"01J8X9Y2Z3A4B5C6D7E8F9G0H1\"}]".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo(new Violation("$", "type", "a job must be a JSON object, found array"));
        assertThat(onlyViolation("null".getBytes(StandardCharsets.UTF_8)).message()).endsWith("found null");
        assertThat(onlyViolation("\"job\"".getBytes(StandardCharsets.UTF_8)).message()).endsWith("found string");
    }

    @Test
    void rejectsJsonNestedDeeperThanTheLimit() {
        Violation violation = onlyViolation(nested(JobValidator.DEFAULT_MAX_NESTING_DEPTH + 1));

        assertThat(violation.path()).isEqualTo("$");
        assertThat(violation.keyword()).isEqualTo("limit");
        assertThat(violation.message()).contains("nesting depth").contains("(64)")
                .doesNotContain("StreamReadConstraints");

        // at the limit the document parses, and only the schema has something to say about it
        assertThat(rejectionOf(nested(JobValidator.DEFAULT_MAX_NESTING_DEPTH)))
                .extracting(Violation::keyword).doesNotContain("limit", "json");
    }

    @Test
    void appliesAConfiguredNestingLimit() {
        // the deepest part of the valid case is root, input, text: three levels
        byte[] payload = read(caseFile(VALID_CASE));

        assertThatCode(() -> new JobValidator(3).validate(payload)).doesNotThrowAnyException();
        assertThat(rejectedBy(new JobValidator(2), payload).violations())
                .extracting(Violation::keyword).containsExactly("limit");
    }

    @Test
    void rejectsAStringLongerThanTheLimit() {
        JobValidator strict = new JobValidator(JobValidator.DEFAULT_MAX_NESTING_DEPTH, 64);
        byte[] payload = change(VALID_CASE, root -> root.withArray("/input/text").add("x".repeat(65)));

        assertThat(rejectedBy(strict, payload).violations()).extracting(Violation::keyword).containsExactly("limit");
        // Jackson quotes how far it read when it gave up, which is neither the string's length nor the limit
        assertThat(rejectedBy(strict, change(VALID_CASE, root -> root.withArray("/input/text")
                .add("x".repeat(100_000)))).violations()).extracting(Violation::message).containsExactly(
                "payload exceeds a limit of this worker: a string value is longer than the 64 characters a job may hold");
    }

    @Test
    void rejectsANumberBeyondTheRangeOfADouble() {
        // read as infinity, which the schema library cannot compare with an enum
        byte[] payload = new String(read(caseFile(VALID_CASE)), StandardCharsets.UTF_8)
                .replace("\"dims\": 1024", "\"dims\": 1e400").getBytes(StandardCharsets.UTF_8);

        assertThat(onlyViolation(payload)).isEqualTo(new Violation("$.input.dims", "limit",
                "number is too large to be read (beyond the range of a double)"));
    }

    @Test
    void keepsParserAdviceOutOfTheReason() {
        Violation violation = onlyViolation("{\"dims\": NaN}".getBytes(StandardCharsets.UTF_8));

        assertThat(violation.message())
                .isEqualTo("payload is not valid JSON at line 1, column 13: Non-standard token 'NaN'");
    }

    @Test
    void rejectsContentAfterTheJob() {
        byte[] job = read(caseFile(VALID_CASE));

        Violation garbage = onlyViolation(concat(job, " garbage".getBytes(StandardCharsets.UTF_8)));
        Violation secondJob = onlyViolation(concat(job, job));

        assertThat(garbage.keyword()).isEqualTo("json");
        assertThat(garbage.message()).contains("unexpected content after the end of the job at line ");
        assertThat(onlyViolation("{} garbage".getBytes(StandardCharsets.UTF_8)).message()).isEqualTo(
                "payload is not valid JSON: unexpected content after the end of the job at line 1, column 4");
        assertThat(secondJob.keyword()).isEqualTo("json");
        assertThat(secondJob.message()).contains("unexpected content after the end of the job");
    }

    @Test
    void rejectsARepeatedProperty() {
        byte[] payload = "{\"tenant\": {\"org_id\": \"a\"}, \"tenant\": {\"org_id\": \"b\"}}"
                .getBytes(StandardCharsets.UTF_8);

        Violation violation = onlyViolation(payload);

        assertThat(violation.keyword()).isEqualTo("json");
        assertThat(violation.message()).contains("Duplicate field 'tenant'");
    }

    @Test
    void rejectsAValueThatIsNotAUuid() {
        List<Violation> violations = rejectionOf(change(VALID_CASE,
                root -> ((ObjectNode) root.get("scope")).put("user_id", "550e8400-e29b-41d4-a716-44665544000")));

        assertThat(violations).singleElement().satisfies(violation -> {
            assertThat(violation.path()).isEqualTo("$.scope.user_id");
            assertThat(violation.keyword()).isEqualTo("format");
            assertThat(violation.message()).startsWith("\"550e8400-e29b-41d4-a716-44665544000\" is not a valid UUID");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"2026-01-10", "2026-01-10T19:30:00", "2026-02-30T10:00:00Z", "yesterday"})
    void rejectsAValueThatIsNotADateTime(String createdAt) {
        List<Violation> violations = rejectionOf(change(VALID_CASE,
                root -> ((ObjectNode) root.get("timestamps")).put("created_at", createdAt)));

        assertThat(violations).singleElement().satisfies(violation -> {
            assertThat(violation.path()).isEqualTo("$.timestamps.created_at");
            assertThat(violation.keyword()).isEqualTo("format");
            assertThat(violation.message()).contains("is not a valid date-time");
        });
    }

    @Test
    void readsEveryDateTimeTheSchemaAccepts() {
        ValidatedJob job = VALIDATOR.validate(change(VALID_CASE, root -> {
            ((ObjectNode) root.get("timestamps")).put("created_at", "2026-01-10 21:30:00.250+02:00");
            ((ObjectNode) root.get("timestamps")).put("deadline", "2026-01-10t19:35:00z");
        }));

        assertThat(job.createdAt()).isEqualTo(Instant.parse("2026-01-10T19:30:00.250Z"));
        assertThat(job.deadline()).contains(Instant.parse("2026-01-10T19:35:00Z"));
    }

    @Test
    void rejectsAValueThatIsNotAUri() {
        List<Violation> violations = rejectionOf(change(VALID_CASE,
                root -> ((ObjectNode) root.get("refs")).put("artifact_uri", "not a uri")));

        assertThat(violations).extracting(Violation::path, Violation::keyword)
                .containsExactly(tuple("$.refs.artifact_uri", "format"));
        assertThat(violations.get(0).message()).startsWith("\"not a uri\" is not a valid URI");

        assertThatCode(() -> VALIDATOR.validate(change(VALID_CASE,
                root -> ((ObjectNode) root.get("refs")).put("artifact_uri", "s3://bucket/key"))))
                .doesNotThrowAnyException();
    }

    @Test
    void rejectsAnUnknownJobType() {
        List<Violation> violations = rejectionOf(change(VALID_CASE, root -> root.put("type", "teleport")));

        assertThat(violations).singleElement().satisfies(violation -> {
            assertThat(violation.path()).isEqualTo("$.type");
            assertThat(violation.keyword()).isEqualTo("enum");
            assertThat(violation.message()).startsWith("\"teleport\" is not one of ").contains("\"embed\"");
        });
    }

    @Test
    void rejectsAValueOfTheWrongType() {
        List<Violation> violations = rejectionOf(change(VALID_CASE,
                root -> ((ObjectNode) root.get("requirements")).put("min_vram_gb", "8")));

        assertThat(violations).containsExactly(
                new Violation("$.requirements.min_vram_gb", "type", "expected integer, found string \"8\""));
    }

    @Test
    void rejectsADeadlineBeforeTheCreationTime() {
        List<Violation> violations = rejectionOf(change(VALID_CASE,
                root -> ((ObjectNode) root.get("timestamps")).put("deadline", "2026-01-10T19:29:59Z")));

        assertThat(violations).containsExactly(new Violation("$.timestamps.deadline", "deadline",
                "deadline 2026-01-10T19:29:59Z is earlier than created_at 2026-01-10T19:30:00Z"));
    }

    @Test
    void acceptsADeadlineEqualToTheCreationTime() {
        assertThatCode(() -> VALIDATOR.validate(change(VALID_CASE,
                root -> ((ObjectNode) root.get("timestamps")).put("deadline", "2026-01-10T19:30:00Z"))))
                .doesNotThrowAnyException();
    }

    @Test
    void acceptsALowercaseUlidAndKeepsItsSpelling() {
        ValidatedJob job = VALIDATOR.validate(change(VALID_CASE,
                root -> root.put("job_id", "01j8x9y2z3a4b5c6d7e8f9g0h1")));

        assertThat(job.jobId()).isEqualTo("01j8x9y2z3a4b5c6d7e8f9g0h1");
    }

    @ParameterizedTest
    @ValueSource(strings = {
        "81J8X9Y2Z3A4B5C6D7E8F9G0H1", // above the 128-bit range
        "01J8X9Y2Z3A4B5C6D7E8F9G0H", // 25 characters
        "01J8X9Y2Z3A4B5C6D7E8F9G0H1A", // 27 characters
        "01U8X9Y2Z3A4B5C6D7E8F9G0H1", // U is not in the alphabet
        "01I8X9Y2Z3A4B5C6D7E8F9G0H1", // I, L and O are decoding aliases, not spellings
        "01L8X9Y2Z3A4B5C6D7E8F9G0H1",
        "01O8X9Y2Z3A4B5C6D7E8F9G0H1"})
    void rejectsAnythingElseAsUlid(String jobId) {
        List<Violation> violations = rejectionOf(change(VALID_CASE, root -> root.put("job_id", jobId)));

        assertThat(violations).extracting(Violation::path, Violation::keyword)
                .containsExactly(tuple("$.job_id", "format"));
    }

    @Test
    void returnsUuidsInLowercase() {
        ValidatedJob job = VALIDATOR.validate(change(VALID_CASE,
                root -> ((ObjectNode) root.get("tenant")).put("org_id", "550E8400-E29B-41D4-A716-446655440000")));

        assertThat(job.orgId()).isEqualTo("550e8400-e29b-41d4-a716-446655440000");
    }

    @Test
    void saturatesAnOversizedVramRequirement() {
        ValidatedJob job = VALIDATOR.validate(change(VALID_CASE,
                root -> ((ObjectNode) root.get("requirements")).put("min_vram_gb", 1L << 40)));

        assertThat(job.minVramGb()).isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void handsOutCopiesOfTheTree() {
        ValidatedJob job = VALIDATOR.validate(read(caseFile(VALID_CASE)));

        ((ObjectNode) job.node()).put("type", "index");

        assertThat(job.node().get("type").asText()).isEqualTo("embed");
        assertThat(job.node().get("extra")).isNull();
    }

    @Test
    void validatesFromManyThreadsAtOnce() throws Exception {
        byte[] valid = read(caseFile(NO_DEADLINE_CASE));
        byte[] invalid = read(caseFile("05-invalid-job-id.json"));
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try {
            List<Future<Boolean>> outcomes = IntStream.range(0, 400)
                    .mapToObj(i -> pool.submit(() -> accepts(i % 2 == 0 ? valid : invalid)))
                    .toList();
            for (int i = 0; i < outcomes.size(); i++) {
                assertThat(outcomes.get(i).get()).as("payload %d", i).isEqualTo(i % 2 == 0);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void listsViolationsInDocumentOrderWithIndexesAsNumbers() {
        byte[] payload = change(VALID_CASE, job -> {
            var texts = ((ObjectNode) job.path("input")).putArray("text");
            for (int i = 0; i < 12; i++) {
                texts.add(i);
            }
        });

        List<String> paths = rejectionOf(payload).stream().map(Violation::path).toList();

        assertThat(paths).containsExactly("$.input.text[0]", "$.input.text[1]", "$.input.text[2]",
                "$.input.text[3]", "$.input.text[4]", "$.input.text[5]", "$.input.text[6]", "$.input.text[7]",
                "$.input.text[8]", "$.input.text[9]", "$.input.text[10]", "$.input.text[11]");
        assertThat(JobValidator.comparePaths("$.a[2].b", "$.a[10]")).isNegative();
        assertThat(JobValidator.comparePaths("$.a", "$.a[0]")).isNegative();
    }

    @Test
    void aNullWhereAStringBelongsIsSaidOnce() {
        byte[] payload = change(VALID_CASE, job -> job.putNull("idempotency_key"));

        assertThat(rejectionOf(payload)).extracting(Violation::message).contains("expected string, found null");
    }

    @Test
    void aRejectionKeepsTheJobsIdsForItsLogLinesWhenTheyAreSafeToLog() {
        JobRejectedException plain = rejectedBy(change(VALID_CASE, job -> job.remove("tenant")));
        assertThat(plain.jobId()).isEqualTo("01J8X9Y2Z3A4B5C6D7E8F9G0H1");
        assertThat(plain.traceId()).isNotNull();

        JobRejectedException forged = rejectedBy(change(VALID_CASE, job -> {
            job.remove("tenant");
            job.put("job_id", "x\n2026-01-01 INFO forged line");
        }));
        assertThat(forged.jobId()).isNull();
    }

    private static boolean accepts(byte[] payload) {
        try {
            VALIDATOR.validate(payload);
            return true;
        } catch (JobRejectedException e) {
            return false;
        }
    }

    private static Path caseFile(String name) {
        if (!Files.isDirectory(CASES)) {
            fail("test cases not found at " + CASES.toAbsolutePath().normalize()
                    + ": run the tests from the project directory, with the shared cases beside it");
        }
        return CASES.resolve(name);
    }

    private static byte[] read(Path file) {
        try {
            return Files.readAllBytes(file);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + file.toAbsolutePath().normalize(), e);
        }
    }

    /** The named case, changed by {@code edit}, as bytes. */
    private static byte[] change(String name, Consumer<ObjectNode> edit) {
        try {
            ObjectNode root = (ObjectNode) JSON.readTree(read(caseFile(name)));
            edit.accept(root);
            return JSON.writeValueAsBytes(root);
        } catch (IOException e) {
            throw new IllegalStateException("cannot edit case " + name, e);
        }
    }

    /** Objects nested {@code depth} deep, the outermost included. */
    private static byte[] nested(int depth) {
        String json = "{\"a\":".repeat(depth - 1) + "{}" + "}".repeat(depth - 1);
        return json.getBytes(StandardCharsets.UTF_8);
    }

    private static JobRejectedException rejectedBy(byte[] payload) {
        return rejectedBy(VALIDATOR, payload);
    }

    private static JobRejectedException rejectedBy(JobValidator validator, byte[] payload) {
        try {
            ValidatedJob job = validator.validate(payload);
            throw new AssertionError("expected a rejection, but the job was accepted: " + job);
        } catch (JobRejectedException e) {
            return e;
        }
    }

    private static List<Violation> rejectionOf(byte[] payload) {
        return rejectedBy(payload).violations();
    }

    private static Violation onlyViolation(byte[] payload) {
        List<Violation> violations = rejectionOf(payload);
        assertThat(violations).hasSize(1);
        return violations.get(0);
    }

    private static byte[] concat(byte[] first, byte[] second) {
        byte[] both = new byte[first.length + second.length];
        System.arraycopy(first, 0, both, 0, first.length);
        System.arraycopy(second, 0, both, first.length, second.length);
        return both;
    }

    private static int indexOf(byte[] haystack, byte[] needle) {
        for (int i = 0; i <= haystack.length - needle.length; i++) {
            int matched = 0;
            while (matched < needle.length && haystack[i + matched] == needle[matched]) {
                matched++;
            }
            if (matched == needle.length) {
                return i;
            }
        }
        throw new IllegalArgumentException("not found");
    }
}
