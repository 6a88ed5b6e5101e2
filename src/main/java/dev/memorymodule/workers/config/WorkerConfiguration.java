package dev.memorymodule.workers.config;

import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Function;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.zaxxer.hikari.HikariDataSource;
import dev.memorymodule.workers.embed.EmbedJob;
import dev.memorymodule.workers.embed.EmbeddingDevice;
import dev.memorymodule.workers.embed.ModelRegistry;
import dev.memorymodule.workers.embed.TextLimits;
import dev.memorymodule.workers.http.JobGateway;
import dev.memorymodule.workers.http.OversizedRequests;
import dev.memorymodule.workers.jetstream.JetStreamComponent;
import dev.memorymodule.workers.job.DeadLetters;
import dev.memorymodule.workers.job.JobEvents;
import dev.memorymodule.workers.job.JobIntake;
import dev.memorymodule.workers.job.JobLedger;
import dev.memorymodule.workers.job.JobValidator;
import dev.memorymodule.workers.job.ValidatedJob;
import dev.memorymodule.workers.metrics.WorkerMetrics;
import dev.memorymodule.workers.store.Database;
import dev.memorymodule.workers.store.MemoryStore;
import dev.memorymodule.workers.fleet.CapabilityCheck;
import dev.memorymodule.workers.fleet.FleetMembership;
import dev.memorymodule.workers.fleet.WorkerCapabilities;
import dev.memorymodule.workers.graph.GraphStore;
import dev.memorymodule.workers.jetstream.NatsAuth;
import io.nats.client.Options;
import dev.memorymodule.workers.graph.Neo4jOptions;
import dev.memorymodule.workers.memory.ChatSummarizer;
import dev.memorymodule.workers.memory.MemoryJobs;
import dev.memorymodule.workers.memory.RetrieveJob;
import dev.memorymodule.workers.memory.SummarizeJob;
import dev.memorymodule.workers.vector.Neo4jVectorStore;
import dev.memorymodule.workers.vector.QdrantVectorStore;
import dev.memorymodule.workers.vector.VectorStore;
import dev.memorymodule.workers.streams.StreamCatalog;
import org.apache.camel.CamelConfiguration;
import org.apache.camel.CamelContext;
import org.apache.camel.StartupListener;
import org.apache.camel.spi.Registry;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Creates the beans the routes call, from the configuration keys in {@code application.properties}, and binds
 * them by the names the routes use. Resources opened here (database pool, models) are closed when Camel stops.
 */
public class WorkerConfiguration implements CamelConfiguration {

    private static final Logger LOG = LoggerFactory.getLogger(WorkerConfiguration.class);

    @Override
    public void configure(CamelContext context) {
        // DJL finds its engines, and Flyway its migrations and database support, through the context class loader.
        // Under `camel run` this class comes from a class loader for downloaded jars that is not the context one.
        Thread thread = Thread.currentThread();
        ClassLoader previous = thread.getContextClassLoader();
        thread.setContextClassLoader(WorkerConfiguration.class.getClassLoader());
        try {
            bindBeans(context);
        } finally {
            thread.setContextClassLoader(previous);
        }
    }

    private void bindBeans(CamelContext context) {
        Function<String, String> config = key -> context.getPropertiesComponent().resolveProperty(key).orElse(null);
        Registry registry = context.getRegistry();
        String workerId = workerId(config.apply("mm.worker.id"));
        registry.bind("workerId", workerId);

        ObjectMapper mapper = new ObjectMapper();
        StreamCatalog streams = StreamCatalog.fromConfig(config);
        registry.bind("streamCatalog", streams);

        JobValidator validator = new JobValidator();
        registry.bind("jobValidator", validator);
        registry.bind("jobEvents", new JobEvents(mapper, config.apply("mm.events.subject-prefix"), workerId));
        registry.bind("deadLetters", new DeadLetters(config.apply("mm.streams.dlq.name"),
                config.apply("mm.dlq.subject-prefix")));
        registry.bind("jobGateway", new JobGateway(validator, streams,
                () -> context.getComponent("jetstream", JetStreamComponent.class).connection(),
                config.apply("mm.streams.events.name"), config.apply("mm.events.subject-prefix")));
        if (Boolean.parseBoolean(config.apply("camel.metrics.enabled"))) {
            WorkerMetrics.install(context, Duration.ofMillis(millis(config, "mm.metrics.pending-interval")));
        }

        HikariDataSource dataSource = Database.open(config.apply("mm.db.url"), config.apply("mm.db.user"),
                config.apply("mm.db.password"), Integer.parseInt(config.apply("mm.db.pool-size")),
                millis(config, "mm.db.connection-timeout"));
        registry.bind("dataSource", dataSource);
        registry.bind("jobLedger", new JobLedger(dataSource, workerId,
                Duration.ofMillis(millis(config, "mm.idempotency.lease"))));

        TextLimits limits = new TextLimits(Integer.parseInt(config.apply("mm.embedding.max-texts")),
                Integer.parseInt(config.apply("mm.embedding.max-text-chars")));
        ModelRegistry models = ModelRegistry.fromConfig(config);
        registry.bind("modelRegistry", models);
        if (Boolean.parseBoolean(config.apply("camel.metrics.enabled"))) {
            WorkerMetrics.installEmbedding(context, models);
        }
        Set<String> jobTypes = jobTypes(config);
        WorkerCapabilities capabilities = capabilities(config, workerId, jobTypes, models);
        warnOfTypesHandedOver(jobTypes, config.apply("mm.consumer.max-handovers"));
        registry.bind("jobIntake", new JobIntake(validator, Clock.systemUTC(), jobTypes,
                new CapabilityCheck(capabilities, models.servedNames()),
                Integer.parseInt(config.apply("mm.consumer.max-handovers").trim())));
        registry.bind("embedJob", new EmbedJob(models, limits));
        MemoryStore memoryStore = new MemoryStore(dataSource);
        registry.bind("memoryStore", memoryStore);

        // stores are opened only when a job type this worker runs needs them
        GraphStore graph = null;
        if (!Collections.disjoint(jobTypes, GRAPH_TYPES) || needsVectors(jobTypes) && isNeo4jBackend(config)) {
            graph = GraphStore.open(neo4jOptions(config));
            graph.ensureSchema();
        }
        VectorStore vectors = needsVectors(jobTypes) ? vectorStore(config) : null;
        if (vectors != null) {
            warmUp(vectors, models, Integer.parseInt(config.apply("mm.vector.warm-up-searches").trim()));
        }
        registry.bind("memoryJobs", new MemoryJobs(memoryStore, models, vectors, graph, limits));
        registry.bind("retrieveJob", new RetrieveJob(models, vectors));
        registry.bind("summarizeJob", new SummarizeJob(models, memoryStore, limits, chatSummarizer(config)));

        FleetMembership fleet = fleetMembership(config, capabilities);
        joinOnStart(context, fleet);
        answerOversizedRequestsOnStart(context);

        GraphStore openedGraph = graph;
        closeOnStop(context, () -> {
            fleet.close();
            if (vectors != null) {
                vectors.close();
            }
            if (openedGraph != null) {
                openedGraph.close();
            }
            models.close();
            dataSource.close();
        });
    }

    /** Job types that write the memory graph. */
    private static final Set<String> GRAPH_TYPES = Set.of("neo4j_write", "index", "summarize");
    /** Job types that read or write vectors. */
    private static final Set<String> VECTOR_TYPES = Set.of("qdrant_upsert", "index", "retrieve", "summarize");

    /**
     * A worker that runs fewer types than its consumers take hands the others over: fine beside pool-mates that
     * run them, a slow failure where none does. Said once at start, so it is not found only from failed jobs.
     */
    private static void warnOfTypesHandedOver(Set<String> jobTypes, String maxHandovers) {
        Set<String> others = new TreeSet<>(ValidatedJob.TYPES);
        others.removeAll(jobTypes);
        if (!others.isEmpty()) {
            LOG.warn("This worker runs {} only: jobs of type {} that reach its consumers are handed over to another "
                    + "worker of the pool, and fail after {} handovers where no worker runs them",
                    new TreeSet<>(jobTypes), others, maxHandovers.trim());
        }
    }

    static Set<String> jobTypes(Function<String, String> config) {
        Set<String> types = Set.of(config.apply("mm.worker.job-types").trim().split("\\s*,\\s*"));
        Set<String> unknown = new TreeSet<>(types);
        unknown.removeAll(ValidatedJob.TYPES);
        if (!unknown.isEmpty()) {
            // a misspelt type would hand every job of the real one over, and the fleet view would announce it
            throw new IllegalArgumentException("mm.worker.job-types names " + unknown + ", which no job has; the "
                    + "job types are " + new TreeSet<>(ValidatedJob.TYPES));
        }
        return types;
    }

    private static boolean needsVectors(Set<String> jobTypes) {
        return !Collections.disjoint(jobTypes, VECTOR_TYPES);
    }

    private static boolean isNeo4jBackend(Function<String, String> config) {
        return "neo4j".equalsIgnoreCase(config.apply("mm.vector.backend").trim());
    }

    private static Neo4jOptions neo4jOptions(Function<String, String> config) {
        Neo4jOptions.Builder options = Neo4jOptions.builder(config.apply("mm.neo4j.url"))
                .database(config.apply("mm.neo4j.database"));
        String password = config.apply("mm.neo4j.password");
        if (password != null && !password.isBlank()) {
            options.basicAuth(config.apply("mm.neo4j.user"), password);
        }
        return options.build();
    }

    private static VectorStore vectorStore(Function<String, String> config) {
        String backend = config.apply("mm.vector.backend").trim().toLowerCase(java.util.Locale.ROOT);
        return switch (backend) {
            case "neo4j" -> Neo4jVectorStore.open(neo4jOptions(config));
            case "qdrant" -> QdrantVectorStore.connect(new QdrantVectorStore.Options(config.apply("mm.qdrant.host"),
                    Integer.parseInt(config.apply("mm.qdrant.port").trim()), blankToNull(config.apply(
                    "mm.qdrant.api-key")), Boolean.parseBoolean(config.apply("mm.qdrant.tls").trim()),
                    Duration.ofMillis(millis(config, "mm.qdrant.timeout"))));
            default -> throw new IllegalArgumentException("mm.vector.backend must be neo4j or qdrant, not " + backend);
        };
    }

    private static WorkerCapabilities capabilities(Function<String, String> config, String workerId,
                                                   Set<String> jobTypes, ModelRegistry models) {
        Map<String, Integer> concurrency = new LinkedHashMap<>();
        for (String lane : List.of("online", "offline", "write")) {
            if (Boolean.parseBoolean(config.apply("mm.consumer." + lane + ".enabled").trim())) {
                concurrency.put(lane, Integer.parseInt(config.apply("mm.consumer." + lane + ".concurrency").trim()));
            }
        }
        // a GPU is a capability only where the models really run on one, whatever the pool is called
        EmbeddingDevice device = models.device();
        int configuredVram = Integer.parseInt(config.apply("mm.worker.vram-gb").trim());
        int vram = !device.isGpu() ? 0 : configuredVram > 0 ? configuredVram : device.vramGb();
        if (!device.isGpu() && configuredVram > 0) {
            LOG.warn("mm.worker.vram-gb = {} is not announced: the embedding models run on the CPU ({})",
                    configuredVram, device.reason());
        }
        return new WorkerCapabilities(workerId, config.apply("mm.worker.pool").trim(),
                jobTypes.stream().sorted().toList(), device.isGpu(), vram,
                List.of(config.apply("mm.worker.trust-zones").trim().split("\\s*,\\s*")),
                config.apply("mm.worker.tier").trim(), models.dimensionsByModel(), concurrency);
    }

    private static FleetMembership fleetMembership(Function<String, String> config,
                                                   WorkerCapabilities capabilities) {
        String workerId = capabilities.workerId();
        Options.Builder options = new Options.Builder().server(config.apply("mm.nats.url"))
                .connectionName(workerId + "-fleet").maxReconnects(-1);
        try {
            NatsAuth.apply(options, config.apply("mm.nats.nkey-seed-file"),
                    Boolean.parseBoolean(config.apply("mm.nats.tls").trim()));
        } catch (Exception e) {
            throw new IllegalStateException("cannot read the NATS credentials for the fleet view from "
                    + "mm.nats.nkey-seed-file = " + config.apply("mm.nats.nkey-seed-file") + ": " + e.getMessage(), e);
        }
        return new FleetMembership(options.build(), config.apply("mm.fleet.bucket").trim(),
                Duration.ofMillis(millis(config, "mm.fleet.ttl")),
                Integer.parseInt(config.apply("mm.fleet.replicas").trim()),
                config.apply("mm.fleet.events-prefix").trim(), capabilities);
    }

    /**
     * The worker announces itself once Camel has fully started, its consumers included: a worker whose consumer
     * cannot start (a filter its pool does not share, a bad option) fails before it is ever listed.
     */
    private static void joinOnStart(CamelContext context, FleetMembership fleet) {
        try {
            context.addStartupListener(new StartupListener() {
                @Override
                public void onCamelContextStarted(CamelContext camel, boolean alreadyStarted) {
                    // routes may still be starting here; see below
                }

                @Override
                public void onCamelContextFullyStarted(CamelContext camel, boolean alreadyStarted) {
                    try {
                        fleet.join();
                    } catch (Exception e) {
                        LOG.warn("Could not join the fleet view; the worker runs but is not listed: {}",
                                e.toString());
                    }
                }
            });
        } catch (Exception e) {
            throw new IllegalStateException("cannot register the fleet view", e);
        }
    }

    /** The HTTP server's router exists once the server has started, which is before the context has. */
    private static void answerOversizedRequestsOnStart(CamelContext context) {
        try {
            context.addStartupListener((camel, alreadyStarted) -> OversizedRequests.install(camel));
        } catch (Exception e) {
            throw new IllegalStateException("cannot register the handler of oversized requests", e);
        }
    }

    /** Warms every loaded model's collection; a store that is down now only makes the first jobs slower. */
    private static void warmUp(VectorStore vectors, ModelRegistry models, int searches) {
        models.dimensionsByModel().forEach((model, dims) -> {
            try {
                vectors.warmUp(model, dims, searches);
            } catch (RuntimeException e) {
                LOG.warn("Warm-up of the {} vector store for {} failed, continuing: {}", vectors.kind(), model,
                        e.getMessage());
            }
        });
    }

    /** Abstractive summaries only when a chat endpoint is configured; extractive ones otherwise. */
    private static ChatSummarizer chatSummarizer(Function<String, String> config) {
        String url = blankToNull(config.apply("mm.summarize.chat.url"));
        if (url == null) {
            return null;
        }
        return new ChatSummarizer(url, config.apply("mm.summarize.chat.model").trim(),
                blankToNull(config.apply("mm.summarize.chat.api-key")),
                Duration.ofMillis(millis(config, "mm.summarize.chat.timeout")));
    }

    private static String blankToNull(String value) {
        return value == null || value.isBlank() ? null : value.trim();
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

    /** A duration setting, which must give its unit: a bare number or an unknown unit stops the start. */
    private static long millis(Function<String, String> config, String key) {
        return DurationText.parse(key, config.apply(key)).toMillis();
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
