package dev.memorymodule.workers.metrics;

import java.time.Duration;
import java.util.Set;

import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.config.MeterFilter;
import io.micrometer.core.instrument.distribution.DistributionStatisticConfig;

/**
 * Gives Camel's per-route timers the histogram buckets of the job duration timer, so latency percentiles can be
 * computed across workers in Prometheus. Fixed buckets keep the series few (a default percentile histogram has
 * about seventy); they span a fast embed to a job near its ack wait.
 */
final class LatencyBuckets implements MeterFilter {

    /** Camel's route policy timer (camel-micrometer's default naming). */
    static final String ROUTE_TIMER = "camel.route.policy";

    /** Upper bounds of the latency buckets. */
    static final Duration[] BUCKETS = { Duration.ofMillis(5), Duration.ofMillis(10), Duration.ofMillis(25),
        Duration.ofMillis(50), Duration.ofMillis(100), Duration.ofMillis(250), Duration.ofMillis(500),
        Duration.ofSeconds(1), Duration.ofMillis(2500), Duration.ofSeconds(5), Duration.ofSeconds(10),
        Duration.ofSeconds(30), Duration.ofSeconds(60), Duration.ofSeconds(120) };

    private static final Set<String> TIMERS = Set.of(WorkerMetrics.JOB_DURATION, ROUTE_TIMER);
    private static final double[] BUCKET_NANOS = nanos(BUCKETS);

    @Override
    public DistributionStatisticConfig configure(Meter.Id id, DistributionStatisticConfig config) {
        if (id.getType() != Meter.Type.TIMER || !TIMERS.contains(id.getName())) {
            return config;
        }
        return DistributionStatisticConfig.builder().serviceLevelObjectives(BUCKET_NANOS).build().merge(config);
    }

    // timers keep their distribution in nanoseconds
    private static double[] nanos(Duration... durations) {
        double[] values = new double[durations.length];
        for (int i = 0; i < durations.length; i++) {
            values[i] = durations[i].toNanos();
        }
        return values;
    }
}
