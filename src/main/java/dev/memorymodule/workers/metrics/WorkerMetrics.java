package dev.memorymodule.workers.metrics;

import java.time.Duration;

import dev.memorymodule.workers.embed.EmbeddingModel;
import dev.memorymodule.workers.embed.ModelRegistry;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.component.micrometer.MicrometerConstants;
import org.apache.camel.spi.ManagementStrategy;

/**
 * Adds the worker's own meters to the Prometheus registry that Camel serves on {@code camel.metrics.path}, beside
 * Camel's route and exchange meters: jobs by type and outcome, job duration, redeliveries, dead letters, and per
 * durable consumer the jobs in flight and the backlog on the server.
 */
public final class WorkerMetrics {

    /** Counter of jobs that reached an outcome event, tagged type and outcome: {@code mm_jobs_total}. */
    public static final String JOBS = "mm.jobs";
    /** Timer from receipt to outcome, tagged type and outcome: {@code mm_job_duration_seconds}. */
    public static final String JOB_DURATION = "mm.job.duration";
    /** Counter of deliveries after the first, tagged durable and stream: {@code mm_redeliveries_total}. */
    public static final String REDELIVERIES = "mm.redeliveries";
    /** Counter of jobs copied to the dead-letter stream, tagged type and outcome: {@code mm_dead_letters_total}. */
    public static final String DEAD_LETTERS = "mm.dead.letters";
    /** Gauge of messages the server still holds for a durable consumer: {@code mm_consumer_pending}. */
    public static final String CONSUMER_PENDING = "mm.consumer.pending";
    /** Gauge of jobs this worker holds for a durable consumer: {@code mm_jobs_in_flight}. */
    public static final String JOBS_IN_FLIGHT = "mm.jobs.in.flight";
    /** Counter of embedding forward passes, tagged model: {@code mm_embedding_passes_total}. */
    public static final String EMBEDDING_PASSES = "mm.embedding.passes";
    /** Counter of texts embedded, tagged model: {@code mm_embedding_texts_total}. */
    public static final String EMBEDDING_TEXTS = "mm.embedding.texts";

    private WorkerMetrics() {
    }

    /**
     * The registry to bind as {@value MicrometerConstants#METRICS_REGISTRY_NAME} before Camel starts: Camel's
     * Prometheus service then serves this one, and its per-route timers get latency buckets. The bucket filter
     * must be there before the first meter is registered, which Camel does before configuration classes run.
     */
    public static MeterRegistry newRegistry() {
        PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
        registry.config().meterFilter(new LatencyBuckets());
        return registry;
    }

    /**
     * Adds the worker's meters to the context's registry; call while the context is being configured, so the
     * notifiers start with it.
     *
     * @param pendingInterval how old a consumer's pending count may get before a scrape asks the server again
     */
    public static void install(CamelContext context, Duration pendingInterval) {
        MeterRegistry registry = registry(context);
        ManagementStrategy management = context.getManagementStrategy();
        management.addEventNotifier(new JobOutcomeMeters(registry));
        management.addEventNotifier(new ConsumerMeters(registry, pendingInterval));
    }

    /**
     * Counts forward passes and texts per model; their ratio is the mean pass size, the figure that shows whether
     * concurrent jobs really share passes.
     */
    public static void installEmbedding(CamelContext context, ModelRegistry models) {
        MeterRegistry registry = registry(context);
        for (String name : models.dimensionsByModel().keySet()) {
            EmbeddingModel model = models.resolve(name);
            FunctionCounter.builder(EMBEDDING_PASSES, model, EmbeddingModel::passes).tag("model", name)
                    .description("embedding forward passes").register(registry);
            FunctionCounter.builder(EMBEDDING_TEXTS, model, EmbeddingModel::textsEmbedded).tag("model", name)
                    .description("texts embedded").register(registry);
        }
    }

    /** The registry Camel serves, or a new one bound under its name for Camel to find. */
    static MeterRegistry registry(CamelContext context) {
        MeterRegistry found = context.getRegistry()
                .lookupByNameAndType(MicrometerConstants.METRICS_REGISTRY_NAME, MeterRegistry.class);
        if (found != null) {
            return found;
        }
        MeterRegistry created = newRegistry();
        context.getRegistry().bind(MicrometerConstants.METRICS_REGISTRY_NAME, created);
        return created;
    }
}
