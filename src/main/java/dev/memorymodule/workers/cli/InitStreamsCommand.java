package dev.memorymodule.workers.cli;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

import dev.memorymodule.workers.streams.StreamCatalog;
import dev.memorymodule.workers.streams.StreamInitializer;
import io.nats.client.Connection;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * Creates the streams of the configuration, and brings existing ones in line with it. Running it twice changes
 * nothing the second time.
 */
@Command(name = "init-streams", mixinStandardHelpOptions = true,
         description = "Create or update the JetStream streams defined in the configuration.")
final class InitStreamsCommand implements Callable<Integer> {

    @Option(names = "--config", defaultValue = "application.properties", description = "Configuration file")
    Path config;

    @Option(names = "--nats", description = "NATS URL (default: mm.nats.url of the configuration)")
    String natsUrl;

    @Option(names = "--dry-run", description = "Print what would change, change nothing")
    boolean dryRun;

    @Option(names = "--no-update", negatable = true, defaultValue = "true",
            description = "Update streams whose settings differ (default: on)")
    boolean update = true;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Map<String, String> overrides = new HashMap<>();
        if (natsUrl != null) {
            overrides.put("mm.nats.url", natsUrl);
        }
        try (WorkerConfig worker = WorkerConfig.load(config, overrides)) {
            StreamCatalog catalog = StreamCatalog.fromConfig(worker.lookup());
            try (Connection connection = worker.connect("mm-init-streams")) {
                List<StreamInitializer.Result> results = new StreamInitializer(connection.jetStreamManagement())
                        .apply(catalog, update, dryRun);
                PrintWriter out = spec.commandLine().getOut();
                for (StreamInitializer.Result result : results) {
                    out.println(String.format("%-10s %-12s %s", result.stream(), label(result.change()),
                            result.differences().isEmpty() ? "" : String.join("; ", result.differences())).strip());
                }
                if (dryRun) {
                    out.println("dry run, no stream was created or changed");
                }
                out.flush();
                boolean drift = results.stream().anyMatch(r -> r.change() == StreamInitializer.Change.DIFFERS);
                return drift ? 1 : 0;
            }
        }
    }

    // a dry run changes nothing, so it must not say it did: an operator reads CREATED as done
    private String label(StreamInitializer.Change change) {
        if (!dryRun) {
            return change.name();
        }
        return switch (change) {
            case CREATED -> "would create";
            case UPDATED -> "would update";
            case UNCHANGED -> "unchanged";
            case DIFFERS -> "differs";
        };
    }
}
