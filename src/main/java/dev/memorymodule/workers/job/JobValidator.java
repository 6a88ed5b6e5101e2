package dev.memorymodule.workers.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.networknt.schema.JsonMetaSchema;
import com.networknt.schema.JsonSchema;
import com.networknt.schema.JsonSchemaFactory;
import com.networknt.schema.PathType;
import com.networknt.schema.SchemaLocation;
import com.networknt.schema.SchemaValidatorsConfig;
import com.networknt.schema.SpecVersion;
import com.networknt.schema.ValidationMessage;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.math.BigInteger;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Checks that a message payload is a job: UTF-8 JSON within this worker's limits, one object, valid against
 * {@code schemas/job-payload-v1.json} (draft-07) with the formats {@code ulid}, {@code uuid}, {@code date-time} and
 * {@code uri} checked, and a deadline no earlier than its creation time. A payload that fails is rejected with every
 * violation found, so that the dead letter tells the publisher all there is to fix at once.
 *
 * <p>ULIDs are accepted in either case (the specification makes decoding case-insensitive);
 * {@link ValidatedJob#jobId()} returns the text as sent, so events carry the publisher's own spelling. The decoding
 * aliases I, L and O are not accepted (see {@link UlidFormat}).
 *
 * <p>Built once and shared: the schema is compiled in the constructor and validation keeps no state.
 */
public final class JobValidator {

    /** Where the job schema is on the classpath; the build copies it there from the top-level {@code schemas/}. */
    public static final String SCHEMA_RESOURCE = "schemas/job-payload-v1.json";

    /** A job is three levels deep; 64 leaves room for extensions while keeping hostile nesting cheap to refuse. */
    public static final int DEFAULT_MAX_NESTING_DEPTH = 64;

    /**
     * Longest string value, in characters. No text a job carries can outgrow the largest NATS message (1 MiB by
     * default); Jackson's own limit of 20 million characters would let one string take 40 MB of heap.
     */
    public static final int DEFAULT_MAX_STRING_LENGTH = 1 << 20;

    static final String KEYWORD_DEADLINE = "deadline";
    /** The schema check itself failed on the payload; see {@link #checkSchema}. */
    static final String KEYWORD_SCHEMA = "schema";

    private static final String CREATED_AT_PATH = "$.timestamps.created_at";
    private static final String DEADLINE_PATH = "$.timestamps.deadline";

    /** The date-time format also accepts a space for the 'T' and lowercase letters, which java.time does not. */
    private static final int DATE_TIME_SEPARATOR_INDEX = 10;

    /** Sorting by path keeps the list stable whatever order the schema library visits the document in. */
    /** Paths in document order: array indexes compared as numbers, so text[2] comes before text[10]. */
    private static final Comparator<Violation> BY_PATH =
            Comparator.comparing(Violation::path, JobValidator::comparePaths).thenComparing(Violation::keyword);
    private static final Pattern LOGGABLE_ID = Pattern.compile("[A-Za-z0-9_-]{1,64}");
    private static final Pattern PATH_PART = Pattern.compile("\\d+|\\D+");

    private final PayloadReader reader;
    private final JsonSchema schema;

    /** A validator with the default limits. */
    public JobValidator() {
        this(DEFAULT_MAX_NESTING_DEPTH);
    }

    /** @param maxNestingDepth how many objects and arrays may nest in a payload, the job object itself included */
    public JobValidator(int maxNestingDepth) {
        this(maxNestingDepth, DEFAULT_MAX_STRING_LENGTH);
    }

    /**
     * @param maxNestingDepth how many objects and arrays may nest in a payload, the job object itself included
     * @param maxStringLength the longest string value, in characters
     */
    public JobValidator(int maxNestingDepth, int maxStringLength) {
        if (maxNestingDepth < 1) {
            throw new IllegalArgumentException("maxNestingDepth must be at least 1, was " + maxNestingDepth);
        }
        if (maxStringLength < 1) {
            throw new IllegalArgumentException("maxStringLength must be at least 1, was " + maxStringLength);
        }
        this.reader = new PayloadReader(maxNestingDepth, maxStringLength);
        this.schema = loadSchema();
    }

    /**
     * @param payload the message body as received
     * @return the job, known to be valid
     * @throws JobRejectedException listing every violation, when the payload is not a valid job
     */
    public ValidatedJob validate(byte[] payload) {
        JsonNode job = reader.read(payload);

        List<Violation> violations = new ArrayList<>(checkSchema(job));

        JsonNode timestamps = job.path("timestamps");
        Instant createdAt = readInstant(timestamps.path("created_at"), CREATED_AT_PATH, violations);
        Instant deadline = readInstant(timestamps.path("deadline"), DEADLINE_PATH, violations);
        if (createdAt != null && deadline != null && deadline.isBefore(createdAt)) {
            violations.add(new Violation(DEADLINE_PATH, KEYWORD_DEADLINE, "deadline "
                    + timestamps.path("deadline").asText() + " is earlier than created_at "
                    + timestamps.path("created_at").asText()));
        }

        if (!violations.isEmpty()) {
            violations.sort(BY_PATH);
            throw new JobRejectedException(violations, loggable(job.path("job_id")),
                    loggable(job.path("trace").path("trace_id")));
        }
        return new ValidatedJob(job, createdAt, deadline);
    }

    /**
     * An id of an invalid job, as it may go into its log lines: a short plain token, or null. The job failed
     * validation, so its values are the publisher's, unchecked; one that could forge a log line is left out.
     */
    private static String loggable(JsonNode id) {
        return id.isTextual() && LOGGABLE_ID.matcher(id.textValue()).matches() ? id.textValue() : null;
    }

    /** Compares two JSON paths part by part, runs of digits by their value. */
    static int comparePaths(String a, String b) {
        Matcher left = PATH_PART.matcher(a);
        Matcher right = PATH_PART.matcher(b);
        while (left.find()) {
            if (!right.find()) {
                return 1;
            }
            String l = left.group();
            String r = right.group();
            int order;
            if (Character.isDigit(l.charAt(0)) && Character.isDigit(r.charAt(0))) {
                order = new BigInteger(l).compareTo(new BigInteger(r));
            } else {
                order = l.compareTo(r);
            }
            if (order != 0) {
                return order;
            }
        }
        return right.find() ? -1 : 0;
    }

    /**
     * The schema library has thrown on payloads it should have reported (an infinite number in an enum); the same
     * payload would fail the same way on every delivery, so such a failure rejects the job instead of escaping.
     */
    private List<Violation> checkSchema(JsonNode job) {
        Set<ValidationMessage> findings;
        try {
            findings = schema.validate(job);
        } catch (RuntimeException e) {
            return List.of(new Violation("$", KEYWORD_SCHEMA, "the job could not be checked against the schema: " + e));
        }

        List<Violation> violations = new ArrayList<>(findings.size());
        for (ValidationMessage finding : findings) {
            violations.add(SchemaViolations.from(finding));
        }
        return violations;
    }

    /**
     * Reads a date-time the schema has checked. A value the schema already reported is skipped; one it accepted but
     * java.time cannot read becomes a violation of its own, so that a valid job always has its instants. None is
     * known: the two agree on every form tried, but they are separate parsers.
     */
    private static Instant readInstant(JsonNode value, String path, List<Violation> violations) {
        if (!value.isTextual()) {
            return null;
        }
        try {
            return parseDateTime(value.asText());
        } catch (DateTimeParseException e) {
            boolean reported = violations.stream().anyMatch(violation -> violation.path().equals(path));
            if (!reported) {
                violations.add(new Violation(path, "format", SchemaViolations.quote(value)
                        + " is not a date-time this worker can read (" + e.getMessage() + ")"));
            }
            return null;
        }
    }

    /** ISO_INSTANT takes any offset and reads a leap second as the second before it, as RFC 3339 intends. */
    static Instant parseDateTime(String text) {
        StringBuilder normalized = new StringBuilder(text.toUpperCase(Locale.ROOT));
        if (normalized.length() > DATE_TIME_SEPARATOR_INDEX && normalized.charAt(DATE_TIME_SEPARATOR_INDEX) == ' ') {
            normalized.setCharAt(DATE_TIME_SEPARATOR_INDEX, 'T');
        }
        return DateTimeFormatter.ISO_INSTANT.parse(normalized, Instant::from);
    }

    private static JsonSchema loadSchema() {
        return loadSchema(SCHEMA_RESOURCE);
    }

    /**
     * Compiles one of the project's schemas from the classpath (draft-07, formats asserted, {@code ulid} known),
     * so the job schema and the event schema are checked by the same rules.
     */
    public static JsonSchema loadSchema(String resource) {
        JsonNode schemaNode;
        try (InputStream in = JobValidator.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) {
                throw new IllegalStateException("schema " + resource + " is not on the classpath");
            }
            schemaNode = new ObjectMapper().readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read schema " + resource, e);
        }

        // The schema's own $schema names draft-07; replacing that meta-schema teaches the factory the ulid format.
        JsonMetaSchema draft7WithUlid = JsonMetaSchema.builder(JsonMetaSchema.getV7())
                .format(new UlidFormat())
                .build();
        JsonSchemaFactory factory = JsonSchemaFactory
                .builder(JsonSchemaFactory.getInstance(SpecVersion.VersionFlag.V7))
                .metaSchema(draft7WithUlid)
                .build();

        // Formats are asserted for draft-07 by default in this library version, but the worker contract requires
        // it, so it is said here rather than left to a default that later drafts reverse. English keeps the
        // library's fallback messages independent of the host's locale.
        SchemaValidatorsConfig config = SchemaValidatorsConfig.builder()
                .formatAssertionsEnabled(true)
                .pathType(PathType.JSON_PATH)
                .locale(Locale.ENGLISH)
                .build();

        JsonSchema compiled = factory.getSchema(SchemaLocation.of("classpath:" + resource), schemaNode, config);
        // compile every keyword now, not lazily on the first job of some consumer thread
        compiled.initializeValidators();
        return compiled;
    }
}
