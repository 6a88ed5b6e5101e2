package dev.memorymodule.workers.config;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Set;
import java.util.function.Function;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.memorymodule.workers.embed.EmbedJob;
import dev.memorymodule.workers.embed.ModelRegistry;
import dev.memorymodule.workers.embed.TextLimits;
import dev.memorymodule.workers.job.DeadLetters;
import dev.memorymodule.workers.job.JobEvents;
import dev.memorymodule.workers.job.JobIntake;
import dev.memorymodule.workers.job.JobLedger;
import dev.memorymodule.workers.job.JobValidator;
import dev.memorymodule.workers.store.Database;
import dev.memorymodule.workers.store.MemoryStore;
import dev.memorymodule.workers.store.PgWriteJob;
import dev.memorymodule.workers.streams.StreamCatalog;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.apache.camel.util.TimeUtils;

/**
 * Creates the beans the routes call, from the configuration keys in {@code application.properties}, and binds
 * them by the names the routes use. Resources opened here (database pool, models) are closed when Camel stops.
 */
public class WorkerConfiguration implements CamelConfiguration {

    @Override
    public void configure(CamelContext context) {
        Function<String, String> config = key -> context.getPropertiesComponent().resolveProperty(key).orElse(null);
        Registry registry = context.getRegistry();
        String workerId = workerId(config.apply("mm.worker.id"));
        registry.bind("workerId", workerId);

        ObjectMapper mapper = new ObjectMapper();
        registry.bind("streamCatalog", StreamCatalog.fromConfig(config));

        JobValidator validator = new JobValidator();
        registry.bind("jobValidator", validator);
        registry.bind("jobIntake", new JobIntake(validator, Clock.systemUTC(),
                Set.of(config.apply("mm.worker.job-types").trim().split("\\s*,\\s*"))));
        registry.bind("jobEvents", new JobEvents(mapper, config.apply("mm.events.subject-prefix"), workerId));
        registry.bind("deadLetters", new DeadLetters(config.apply("mm.streams.dlq.name"),
                config.apply("mm.dlq.subject-prefix")));

        HikariDataSource dataSource = Database.open(config.apply("mm.db.url"), config.apply("mm.db.user"),
                config.apply("mm.db.password"), Integer.parseInt(config.apply("mm.db.pool-size")),
                millis(config.apply("mm.db.connection-timeout")));
        registry.bind("dataSource", dataSource);
        registry.bind("jobLedger", new JobLedger(dataSource, workerId,
                Duration.ofMillis(millis(config.apply("mm.idempotency.lease")))));

        TextLimits limits = new TextLimits(Integer.parseInt(config.apply("mm.embedding.max-texts")),
                Integer.parseInt(config.apply("mm.embedding.max-text-chars")));
        ModelRegistry models = ModelRegistry.fromConfig(config);
        registry.bind("modelRegistry", models);
        registry.bind("embedJob", new EmbedJob(models, limits));
        MemoryStore memoryStore = new MemoryStore(dataSource);
        registry.bind("memoryStore", memoryStore);
        registry.bind("pgWriteJob", new PgWriteJob(memoryStore, limits));

        closeOnStop(context, () -> {
            models.close();
            dataSource.close();
        });
    }

    static String workerId(String configured) {
        if (configured != null && !configured.isBlank()) {
            return configured.trim();
        }
        String host;
        try {
            host = InetAddress.getLocalHost().getHostName();
        } catch (Exception e) {
            host = "localhost";
        }
        return host + "-" + ManagementFactory.getRuntimeMXBean().getPid();
    }

    private static long millis(String value) {
        return TimeUtils.toMilliSeconds(value.trim());
    }

    private static void closeOnStop(CamelContext context, Runnable close) {
        try {
            context.addService(new ServiceSupport() {
                @Override
                protected void doStop() {
                    close.run();
                }
            }, true, true);
        } catch (Exception e) {
            throw new IllegalStateException("cannot register the resource closer", e);
        }
    }
}
