package dev.memorymodule.workers.metrics;

import java.time.Duration;
import java.util.concurrent.ExecutorService;

import dev.memorymodule.workers.jetstream.JetStreamConsumer;
import dev.memorymodule.workers.jetstream.JetStreamEndpoint;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.RouteStartedEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Gauges for each durable consumer a route starts: the jobs this worker holds, and the messages the server still
 * has for the durable (its {@code num_pending}, shared by all workers of the pool). Bound when the route starts,
 * so a route restarted with a new consumer gets gauges that read the new one.
 */
final class ConsumerMeters extends EventNotifierSupport {

    private final MeterRegistry registry;
    private final Duration pendingInterval;
    private ExecutorService polls;

    ConsumerMeters(MeterRegistry registry, Duration pendingInterval) {
        this.registry = registry;
        this.pendingInterval = pendingInterval;
        setIgnoreCamelContextEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreExchangeEvents(true);
        setIgnoreStepEvents(true);
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        polls = getCamelContext().getExecutorServiceManager().newSingleThreadExecutor(this, "metrics-pending");
    }

    @Override
    protected void doStop() throws Exception {
        if (polls != null) {
            getCamelContext().getExecutorServiceManager().shutdownNow(polls);
            polls = null;
        }
        super.doStop();
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof RouteStartedEvent started
                && started.getRoute().getConsumer() instanceof JetStreamConsumer;
    }

    @Override
    public void notify(CamelEvent event) {
        JetStreamConsumer consumer = (JetStreamConsumer) ((RouteStartedEvent) event).getRoute().getConsumer();
        JetStreamEndpoint endpoint = (JetStreamEndpoint) consumer.getEndpoint();
        String stream = endpoint.getStream();
        String durable = endpoint.getDurable();
        Tags tags = Tags.of("durable", durable, "stream", stream);
        removeExisting(tags);

        Gauge.builder(WorkerMetrics.JOBS_IN_FLIGHT, consumer, JetStreamConsumer::inFlightCount)
                .description("Jobs this worker holds from the durable consumer")
                .tags(tags).strongReference(true).register(registry);
        PendingPoll pending = new PendingPoll("pending of " + durable, () -> endpoint.getComponent().connection()
                .jetStreamManagement().getConsumerInfo(stream, durable).getNumPending(), pendingInterval, polls);
        Gauge.builder(WorkerMetrics.CONSUMER_PENDING, pending, PendingPoll::value)
                .description("Messages the server still holds for the durable consumer (num_pending)")
                .tags(tags).strongReference(true).register(registry);
        // the first read now, so the first scrape already has a value
        pending.value();
    }

    private void removeExisting(Tags tags) {
        for (String name : new String[] { WorkerMetrics.JOBS_IN_FLIGHT, WorkerMetrics.CONSUMER_PENDING }) {
            Meter existing = registry.find(name).tags(tags).meter();
            if (existing != null) {
                registry.remove(existing);
            }
        }
    }
}
