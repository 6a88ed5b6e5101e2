package dev.memorymodule.workers.cli;

import dev.memorymodule.workers.config.DurationText;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.EnumMap;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.job.JobRejectedException;
import dev.memorymodule.workers.job.JobValidator;
import dev.memorymodule.workers.job.Violation;
import io.nats.client.Connection;
import io.nats.client.JetStreamApiException;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Publishes job files and prints each job's outcome event. Jobs are validated first, so a broken file is reported
 * here instead of in the dead-letter stream; {@code --no-validate} sends them as they are.
 */
@Command(name = "submit", mixinStandardHelpOptions = true,
         description = "Publish jobs (JSON files) and print their outcome events.")
final class SubmitCommand implements Callable<Integer> {

    @Parameters(arity = "1..*", paramLabel = "JOB.json", description = "Job files to publish, in order")
    List<Path> files;

    @Option(names = "--config", defaultValue = "application.properties", description = "Configuration file")
    Path config;

    @Option(names = "--nats", description = "NATS URL (default: mm.nats.url of the configuration)")
    String natsUrl;

    @Option(names = "--wait", defaultValue = "60s",
            description = "How long to wait for each outcome, with its unit (30s, 2m; default: ${DEFAULT-VALUE})")
    String wait;

    @Option(names = "--no-validate", description = "Publish without validating first")
    boolean noValidate;

    @Option(names = "--full", description = "Print whole events (vectors included); by default they are shortened")
    boolean full;

    private final ObjectMapper mapper = new ObjectMapper();
    private JobValidator validator;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        // read before anything is published: a wait that cannot be read would only show once the job is out
        Duration timeout = waitTimeout();
        Map<String, String> overrides = new HashMap<>();
        if (natsUrl != null) {
            overrides.put("mm.nats.url", natsUrl);
        }
        validator = new JobValidator();
        PrintWriter err = spec.commandLine().getErr();
        Map<Sent, Integer> counts = new EnumMap<>(Sent.class);
        try (WorkerConfig worker = WorkerConfig.load(config, overrides);
             Connection connection = connect(worker);
             JobClient client = new JobClient(connection, worker.get("mm.events.subject-prefix"))) {
            for (Path file : files) {
                counts.merge(submit(file, connection, client, timeout), 1, Integer::sum);
                spec.commandLine().getOut().flush();
                err.flush();
            }
        }
        int notPublished = counts.getOrDefault(Sent.NOT_PUBLISHED, 0);
        if (notPublished > 0 && files.size() > 1) {
            err.println(notPublished + " of " + files.size() + " job file(s) not published");
            err.flush();
        }
        return counts.keySet().equals(Set.of(Sent.DONE)) ? 0 : 1;
    }

    /** What became of one job file. */
    private enum Sent {
        /** Its outcome event came, or the server dropped it as a duplicate. */
        DONE,
        /** Published, but no outcome came within --wait. */
        NO_OUTCOME,
        /** Unreadable, invalid, too large or refused: it is not in any stream. */
        NOT_PUBLISHED
    }

    private Duration waitTimeout() {
        try {
            return DurationText.parse("--wait", wait);
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    private Connection connect(WorkerConfig worker) throws Exception {
        try {
            return worker.connect("mm-submit");
        } catch (CommandFailure e) {
            throw new CommandFailure(e.getMessage() + "; no job was published", e);
        }
    }

    /**
     * Publishes one job file and prints its outcome. A file that cannot be read or published is reported in one
     * line on stderr, and the next file is still sent.
     *
     */
    private Sent submit(Path file, Connection connection, JobClient client, Duration timeout) throws Exception {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (Files.isDirectory(file)) {
            err.println(file + ": not published, it is a directory, not a job file");
            return Sent.NOT_PUBLISHED;
        }
        byte[] payload;
        try {
            payload = Files.readAllBytes(file);
        } catch (IOException e) {
            err.println(file + ": not published, " + unreadable(e));
            return Sent.NOT_PUBLISHED;
        }
        // jnats refuses a message over the server's max_payload with an exception that names neither the file nor
        // the setting
        if (payload.length > connection.getMaxPayload()) {
            err.println(file + ": not published, " + tooLarge(payload.length, connection.getMaxPayload()));
            return Sent.NOT_PUBLISHED;
        }
        if (!noValidate) {
            try {
                validator.validate(payload);
            } catch (JobRejectedException e) {
                out.println(file.getFileName() + ": not published, invalid job:");
                for (Violation violation : e.violations()) {
                    out.println("  " + violation);
                }
                return Sent.NOT_PUBLISHED;
            }
        }

        String jobId = client.jobId(payload);
        client.watch(jobId);
        JobClient.Published published;
        try {
            published = client.publish(payload);
        } catch (JetStreamApiException | IllegalArgumentException | IOException e) {
            err.println(file + ": not published, " + MmCommand.describe(e));
            return Sent.NOT_PUBLISHED;
        }
        if (published.duplicate()) {
            out.println(file.getFileName() + ": duplicate, dropped by the server ("
                    + "same idempotency key inside the duplicate window)");
            return Sent.DONE;
        }
        JsonNode event = client.awaitEvent(jobId, timeout);
        if (event == null) {
            out.println(file.getFileName() + ": no outcome within " + wait + " (published on "
                    + published.subject() + ")");
            return Sent.NO_OUTCOME;
        }
        out.println(file.getFileName() + ": " + event.path("event").asText() + " — " + summary(event));
        out.println("  " + mapper.writeValueAsString(full ? event : shortened(event)));
        return Sent.DONE;
    }

    private static String unreadable(IOException e) {
        if (e instanceof NoSuchFileException) {
            return "no such file";
        }
        if (e instanceof AccessDeniedException) {
            return "cannot read it (permission denied)";
        }
        return "cannot read it (" + e.getMessage() + ")";
    }

    static String tooLarge(long bytes, long maxPayload) {
        return "the job is " + bytes + " bytes, more than the " + maxPayload + " bytes the NATS server takes in one "
                + "message (its max_payload)";
    }

    private static String summary(JsonNode event) {
        if (event.hasNonNull("reason")) {
            return event.path("reason").asText();
        }
        JsonNode result = event.path("result");
        if (result.has("vectors")) {
            return result.path("count").asText() + " vector(s) of " + result.path("dims").asText() + " dims from "
                    + result.path("model").asText();
        }
        return result.toString();
    }

    /** Vectors are long; show their size and first values only. */
    private static JsonNode shortened(JsonNode event) {
        JsonNode copy = event.deepCopy();
        JsonNode vectors = copy.path("result").path("vectors");
        if (vectors.isArray() && copy.path("result") instanceof com.fasterxml.jackson.databind.node.ObjectNode r) {
            com.fasterxml.jackson.databind.node.ArrayNode brief = r.putArray("vectors");
            for (JsonNode vector : vectors) {
                com.fasterxml.jackson.databind.node.ArrayNode head = brief.addArray();
                for (int i = 0; i < Math.min(4, vector.size()); i++) {
                    head.add(vector.get(i));
                }
                head.add("... " + vector.size() + " values");
            }
        }
        return copy;
    }
}
