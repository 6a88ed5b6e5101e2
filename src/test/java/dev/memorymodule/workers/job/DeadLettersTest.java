package dev.memorymodule.workers.job;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;

import dev.memorymodule.workers.jetstream.JetStreamConstants;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * How a dead letter is addressed. Its de-duplication id names the job message it answers for, like the outcome
 * event's: a worker that dies after storing the dead letter but before its term reaches the server gets the
 * message redelivered, dead-letters it again, and the dead-letter stream must keep one copy, not two.
 */
class DeadLettersTest {

    private CamelContext camel;
    private final DeadLetters deadLetters = new DeadLetters("MM_DLQ", "mm.dlq");

    @BeforeEach
    void start() {
        camel = new DefaultCamelContext();
    }

    @AfterEach
    void stop() throws Exception {
        camel.close();
    }

    @Test
    void aDeadLetterIsIdentifiedByTheJobMessageItAnswersFor() {
        Exchange first = delivery(1);
        Exchange redelivery = delivery(2);

        deadLetters.prepare(first);
        deadLetters.prepare(redelivery);

        assertThat(first.getIn().getHeader(JetStreamConstants.MSG_ID)).isEqualTo("dlq:MM_WRITE:42");
        assertThat(redelivery.getIn().getHeader(JetStreamConstants.MSG_ID))
                .isEqualTo(first.getIn().getHeader(JetStreamConstants.MSG_ID));
        assertThat(first.getIn().getHeader(JetStreamConstants.SUBJECT)).isEqualTo("mm.dlq.write.pg_write");
    }

    @Test
    void aHandedOverCopyIsIdentifiedByTheMessageItsPublisherStored() {
        Exchange copy = delivery(1);
        copy.getIn().setHeader(JetStreamConstants.ORIGIN, "MM_WRITE:7");

        deadLetters.prepare(copy);

        assertThat(copy.getIn().getHeader(JetStreamConstants.MSG_ID)).isEqualTo("dlq:MM_WRITE:7");
    }

    private Exchange delivery(long count) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setBody("{\"type\":\"pg_write\"}".getBytes(StandardCharsets.UTF_8));
        exchange.getIn().setHeader(JetStreamConstants.STREAM, "MM_WRITE");
        exchange.getIn().setHeader(JetStreamConstants.SEQUENCE, 42L);
        exchange.getIn().setHeader(JetStreamConstants.SUBJECT, "mm.write.pg_write.any.cpu");
        exchange.getIn().setHeader(JetStreamConstants.DELIVERY_COUNT, count);
        exchange.setProperty(JobOutcome.PROPERTY, JobOutcome.DEAD_LETTERED);
        return exchange;
    }
}
