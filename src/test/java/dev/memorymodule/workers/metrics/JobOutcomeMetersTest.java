package dev.memorymodule.workers.metrics;

import static org.assertj.core.api.Assertions.assertThat;

import dev.memorymodule.workers.jetstream.JetStreamConstants;
import dev.memorymodule.workers.job.JobOutcome;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.impl.event.ExchangeCompletedEvent;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** What the job counters count when a delivery's exchange ends. */
class JobOutcomeMetersTest {

    private final CamelContext camel = new DefaultCamelContext();
    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final JobOutcomeMeters meters = new JobOutcomeMeters(registry);

    @AfterEach
    void close() throws Exception {
        camel.close();
    }

    @Test
    void anOutcomeWhoseEventWasStoredIsCountedOnce() {
        meters.notify(new ExchangeCompletedEvent(delivery(1, false)));

        assertThat(jobs()).isEqualTo(1.0);
    }

    @Test
    void anOutcomeWhoseEventTheServerDroppedAsAlreadyHeldIsNotCountedAgain() {
        meters.notify(new ExchangeCompletedEvent(delivery(1, false)));
        // the same job run again by a redelivery while its first delivery still ran: its event was a duplicate
        meters.notify(new ExchangeCompletedEvent(delivery(2, true)));

        assertThat(jobs()).isEqualTo(1.0);
        assertThat(registry.counter(WorkerMetrics.REDELIVERIES, "durable", "cpu-online", "stream", "MM_ONLINE")
                .count()).isEqualTo(1.0);
    }

    private Exchange delivery(long count, boolean eventWasDuplicate) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setHeader(JetStreamConstants.DELIVERY_COUNT, count);
        exchange.getIn().setHeader(JetStreamConstants.CONSUMER, "cpu-online");
        exchange.getIn().setHeader(JetStreamConstants.STREAM, "MM_ONLINE");
        exchange.getIn().setHeader(JetStreamConstants.DUPLICATE, eventWasDuplicate);
        exchange.setProperty(JobOutcome.PROPERTY, JobOutcome.COMPLETED);
        return exchange;
    }

    private double jobs() {
        return registry.find(WorkerMetrics.JOBS).tags("outcome", JobOutcome.COMPLETED).counters().stream()
                .mapToDouble(c -> c.count()).sum();
    }
}
