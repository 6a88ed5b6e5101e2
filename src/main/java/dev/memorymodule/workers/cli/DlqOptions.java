package dev.memorymodule.workers.cli;

import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

import dev.memorymodule.workers.dlq.DeadLetterReplayer;
import dev.memorymodule.workers.dlq.DeadLetterStore;
import dev.memorymodule.workers.streams.StreamCatalog;
import io.nats.client.Connection;
import picocli.CommandLine.Option;

/**
 * What every {@code mm dlq} subcommand needs: the configuration that names the dead-letter stream, and the NATS
 * server to reach. Mixed into each subcommand so the options are given after the subcommand's name.
 */
final class DlqOptions {

    @Option(names = "--config", defaultValue = "application.properties", description = "Configuration file")
    Path config;

    @Option(names = "--nats", description = "NATS URL (default: mm.nats.url of the configuration)")
    String natsUrl;

    /** A connection to the dead-letter stream; the caller closes it. */
    Connected open(String connectionName) throws Exception {
        Map<String, String> overrides = new HashMap<>();
        if (natsUrl != null) {
            overrides.put("mm.nats.url", natsUrl);
        }
        try (WorkerConfig worker = WorkerConfig.load(config, overrides)) {
            List<String> jobSubjects = StreamCatalog.fromConfig(worker.lookup()).jobSubjects();
            Connection connection = worker.connect(connectionName);
            try {
                return new Connected(connection, worker.get("mm.streams.dlq.name"),
                        worker.get("mm.dlq.subject-prefix"), jobSubjects);
            } catch (Exception e) {
                connection.close();
                throw e;
            }
        }
    }

    /** One connection, and the dead-letter stream as the configuration names it. */
    static final class Connected implements AutoCloseable {

        private final Connection connection;
        private final DeadLetterStore store;
        private final DeadLetterReplayer replayer;

        private Connected(Connection connection, String stream, String subjectPrefix, List<String> jobSubjects)
                throws Exception {
            this.connection = connection;
            this.store = new DeadLetterStore(connection, stream, subjectPrefix);
            this.replayer = new DeadLetterReplayer(connection.jetStream(), stream, subjectPrefix, jobSubjects);
        }

        DeadLetterStore store() {
            return store;
        }

        DeadLetterReplayer replayer() {
            return replayer;
        }

        @Override
        public void close() throws InterruptedException {
            connection.close();
        }
    }
}
