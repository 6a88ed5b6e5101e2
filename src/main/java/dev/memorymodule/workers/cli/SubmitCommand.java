package dev.memorymodule.workers.cli;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.memorymodule.workers.client.JobClient;
import dev.memorymodule.workers.job.JobRejectedException;
import dev.memorymodule.workers.job.JobValidator;
import dev.memorymodule.workers.job.Violation;
import io.nats.client.Connection;
import io.nats.client.Nats;
import dev.memorymodule.workers.jetstream.NatsAuth;
import io.nats.client.Options;
import org.apache.camel.util.TimeUtils;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

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

    @Option(names = "--wait", defaultValue = "60s", description = "How long to wait for each outcome (e.g. 30s)")
    String wait;

    @Option(names = "--no-validate", description = "Publish without validating first")
    boolean noValidate;

    @Option(names = "--full", description = "Print whole events (vectors included); by default they are shortened")
    boolean full;

    @Override
    public Integer call() throws Exception {
        Map<String, String> overrides = new HashMap<>();
        if (natsUrl != null) {
            overrides.put("mm.nats.url", natsUrl);
        }
        ObjectMapper mapper = new ObjectMapper();
        JobValidator validator = new JobValidator();
        Duration timeout = Duration.ofMillis(TimeUtils.toMilliSeconds(wait));
        int failures = 0;
        try (WorkerConfig worker = WorkerConfig.load(config, overrides)) {
            Options.Builder options = new Options.Builder().server(worker.get("mm.nats.url"))
                    .connectionName("mm-submit");
            NatsAuth.apply(options, worker.get("mm.nats.nkey-seed-file"), Boolean.parseBoolean(worker.get("mm.nats.tls")));
            try (Connection connection = Nats.connect(options.build());
                 JobClient client = new JobClient(connection, worker.get("mm.events.subject-prefix"))) {
                for (Path file : files) {
                    byte[] payload = Files.readAllBytes(file);
                    if (!noValidate) {
                        try {
                            validator.validate(payload);
                        } catch (JobRejectedException e) {
                            System.out.println(file.getFileName() + ": not published, invalid job:");
                            for (Violation violation : e.violations()) {
                                System.out.println("  " + violation);
                            }
                            failures++;
                            continue;
                        }
                    }
                    String jobId = client.jobId(payload);
                    client.watch(jobId);
                    JobClient.Published published = client.publish(payload);
                    if (published.duplicate()) {
                        System.out.println(file.getFileName() + ": duplicate, dropped by the server ("
                                + "same idempotency key inside the duplicate window)");
                        continue;
                    }
                    JsonNode event = client.awaitEvent(jobId, timeout);
                    if (event == null) {
                        System.out.println(file.getFileName() + ": no outcome within " + wait + " (published on "
                                + published.subject() + ")");
                        failures++;
                        continue;
                    }
                    System.out.println(file.getFileName() + ": " + event.path("event").asText() + " — "
                            + summary(event));
                    System.out.println("  " + mapper.writeValueAsString(full ? event : shortened(event)));
                }
            }
        }
        return failures == 0 ? 0 : 1;
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
