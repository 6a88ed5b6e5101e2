package dev.memorymodule.workers.metrics;

import java.time.Duration;

import dev.memorymodule.workers.jetstream.JetStreamConstants;
import dev.memorymodule.workers.job.JobHeaders;
import dev.memorymodule.workers.job.JobOutcome;
import dev.memorymodule.workers.job.ValidatedJob;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.spi.CamelEvent;
import org.apache.camel.spi.CamelEvent.ExchangeCompletedEvent;
import org.apache.camel.spi.CamelEvent.ExchangeEvent;
import org.apache.camel.spi.CamelEvent.ExchangeFailedEvent;
import org.apache.camel.support.EventNotifierSupport;

/**
 * Counts each job delivery when its exchange ends. The outcome is counted only when the exchange completed, that is
 * after its event was stored on the events stream: a delivery that failed before that is redelivered and counted
 * then, so no outcome is counted twice. A redelivery of a job whose outcome was already stored sets no outcome and
 * is not counted again either, and neither is an outcome whose event the server dropped as one it already held.
 */
final class JobOutcomeMeters extends EventNotifierSupport {

    /** Type tag of a job that failed validation: what it claims to be is not to be trusted as a label. */
    static final String INVALID_TYPE = "invalid";

    private final MeterRegistry registry;

    JobOutcomeMeters(MeterRegistry registry) {
        this.registry = registry;
        // only the end of an exchange matters here; skipping the rest keeps the notifier off every other event
        setIgnoreCamelContextEvents(true);
        setIgnoreRouteEvents(true);
        setIgnoreServiceEvents(true);
        setIgnoreStepEvents(true);
        setIgnoreExchangeCreatedEvent(true);
        setIgnoreExchangeSendingEvents(true);
        setIgnoreExchangeSentEvents(true);
        setIgnoreExchangeRedeliveryEvents(true);
    }

    @Override
    public boolean isEnabled(CamelEvent event) {
        return event instanceof ExchangeCompletedEvent || event instanceof ExchangeFailedEvent;
    }

    @Override
    public void notify(CamelEvent event) {
        Exchange exchange = ((ExchangeEvent) event).getExchange();
        Message in = exchange.getIn();
        Long deliveries = in.getHeader(JetStreamConstants.DELIVERY_COUNT, Long.class);
        if (deliveries == null) {
            // not a delivery from a stream (an HTTP request, a sub-route's own exchange)
            return;
        }
        if (deliveries > 1) {
            Counter.builder(WorkerMetrics.REDELIVERIES)
                    .description("Job deliveries after the first (delivery count above 1)")
                    .tag("durable", tag(in.getHeader(JetStreamConstants.CONSUMER, String.class)))
                    .tag("stream", tag(in.getHeader(JetStreamConstants.STREAM, String.class)))
                    .register(registry).increment();
        }
        String outcome = exchange.getProperty(JobOutcome.PROPERTY, String.class);
        if (event instanceof ExchangeFailedEvent || outcome == null) {
            return;
        }
        if (Boolean.TRUE.equals(in.getHeader(JetStreamConstants.DUPLICATE, Boolean.class))) {
            // the events stream already held this outcome (a redelivery that ran while the first delivery was
            // still running, past its ack wait): the server dropped the event, and the job is counted once
            return;
        }
        String type = type(exchange);
        Counter.builder(WorkerMetrics.JOBS)
                .description("Jobs that reached an outcome event")
                .tag("type", type).tag("outcome", outcome)
                .register(registry).increment();
        Long receivedAt = in.getHeader(JetStreamConstants.RECEIVED_AT, Long.class);
        if (receivedAt != null) {
            Timer.builder(WorkerMetrics.JOB_DURATION)
                    .description("Time from a job's receipt by the worker to its stored outcome")
                    .tag("type", type).tag("outcome", outcome)
                    .serviceLevelObjectives(LatencyBuckets.BUCKETS)
                    .register(registry)
                    .record(Duration.ofMillis(Math.max(0, System.currentTimeMillis() - receivedAt)));
        }
        if (JobOutcome.FAILED.equals(outcome) || JobOutcome.DEAD_LETTERED.equals(outcome)) {
            Counter.builder(WorkerMetrics.DEAD_LETTERS)
                    .description("Jobs copied to the dead-letter stream")
                    .tag("type", type).tag("outcome", outcome)
                    .register(registry).increment();
        }
    }

    private static String type(Exchange exchange) {
        ValidatedJob job = exchange.getProperty(JobHeaders.JOB, ValidatedJob.class);
        return job == null ? INVALID_TYPE : job.type();
    }

    private static String tag(String value) {
        return value == null ? "unknown" : value;
    }
}
