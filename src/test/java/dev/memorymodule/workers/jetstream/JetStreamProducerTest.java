package dev.memorymodule.workers.jetstream;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import dev.memorymodule.workers.testsupport.NatsServer;
import io.nats.client.JetStreamApiException;
import io.nats.client.Message;
import io.nats.client.Subscription;
import io.nats.client.api.MessageInfo;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.ProducerTemplate;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * The contract of the {@code jetstream} producer, over a real nats-server: a publish is done only when the server
 * stored it, duplicates are told apart by id, and only the project's own headers travel, in a form NATS accepts.
 */
@Timeout(60)
class JetStreamProducerTest {

    private static final Duration ARRIVES = Duration.ofSeconds(5);
    private static final String PRINTABLE_ASCII = "[\\x20-\\x7e]*";
    private static final AtomicInteger TEST_NUMBER = new AtomicInteger();

    private static NatsServer nats;
    private static StreamProbe probe;

    private CamelContext context;
    private ProducerTemplate template;
    private String stream;
    private String subject;
    private String otherStream;
    private String otherSubject;
    private String coreSubject;

    @BeforeAll
    static void startServer() throws Exception {
        nats = NatsServer.start();
        probe = new StreamProbe(nats.url());
    }

    @AfterAll
    static void stopServer() throws Exception {
        probe.close();
        nats.close();
    }

    @BeforeEach
    void startCamel() throws Exception {
        int n = TEST_NUMBER.incrementAndGet();
        stream = "EVENTS_" + n;
        subject = "t" + n + ".events.completed";
        otherStream = "OTHER_" + n;
        otherSubject = "t" + n + ".other.completed";
        coreSubject = "t" + n + ".reply.agent";
        probe.createLimits(stream, "t" + n + ".events.>");
        probe.createLimits(otherStream, "t" + n + ".other.>");

        context = new DefaultCamelContext();
        JetStreamComponent component = new JetStreamComponent();
        component.setServers(nats.url());
        context.addComponent("jetstream", component);
        context.start();
        template = context.createProducerTemplate();
    }

    @AfterEach
    void stopCamel() {
        context.stop();
    }

    @Test
    void publishReturnsOnlyOnceTheServerStoredTheMessage() throws Exception {
        Exchange result = template.request("jetstream:" + stream + "?subject=" + subject,
                exchange -> exchange.getIn().setBody("{\"status\":\"completed\"}"));

        assertThat(result.getException()).isNull();
        Long sequence = result.getMessage().getHeader(JetStreamConstants.PUBLISHED_SEQUENCE, Long.class);
        assertThat(sequence).isNotNull();
        assertThat(result.getMessage().getHeader(JetStreamConstants.DUPLICATE, Boolean.class)).isFalse();
        // read at once, with no waiting: the publish came back only after the server had stored it
        MessageInfo stored = probe.message(stream, sequence);
        assertThat(stored.getSubject()).isEqualTo(subject);
        assertThat(text(stored.getData())).isEqualTo("{\"status\":\"completed\"}");
    }

    @Test
    void subjectHeaderOverridesTheEndpointSubject() throws Exception {
        String failedSubject = subject.replace("completed", "failed");
        Exchange result = template.request("jetstream:" + stream + "?subject=" + subject, exchange -> {
            exchange.getIn().setHeader(JetStreamConstants.SUBJECT, failedSubject);
            exchange.getIn().setBody("x");
        });

        long sequence = result.getMessage().getHeader(JetStreamConstants.PUBLISHED_SEQUENCE, Long.class);
        assertThat(probe.message(stream, sequence).getSubject()).isEqualTo(failedSubject);
    }

    @Test
    void msgIdBecomesNatsMsgIdSoARepublishIsReportedAsDuplicate() throws Exception {
        Exchange first = publishWithId("idem-42");
        Exchange second = publishWithId("idem-42");

        assertThat(first.getMessage().getHeader(JetStreamConstants.DUPLICATE, Boolean.class)).isFalse();
        assertThat(second.getException()).isNull();
        assertThat(second.getMessage().getHeader(JetStreamConstants.DUPLICATE, Boolean.class)).isTrue();
        assertThat(probe.messageCount(stream)).isEqualTo(1);
        long sequence = first.getMessage().getHeader(JetStreamConstants.PUBLISHED_SEQUENCE, Long.class);
        assertThat(probe.message(stream, sequence).getHeaders().getFirst(JetStreamConstants.NATS_MSG_ID))
                .isEqualTo("idem-42");
    }

    @Test
    void onlyHeadersWithThePrefixAreSent() throws Exception {
        Exchange result = template.request("jetstream:" + stream + "?subject=" + subject, exchange -> {
            exchange.getIn().setHeader("Mm-Tenant", "acme");
            exchange.getIn().setHeader("Mm-Attempt", 3);
            exchange.getIn().setHeader("CamelFileName", "job.json");
            exchange.getIn().setHeader("Authorization", "secret");
            exchange.getIn().setBody("x");
        });

        long sequence = result.getMessage().getHeader(JetStreamConstants.PUBLISHED_SEQUENCE, Long.class);
        MessageInfo stored = probe.message(stream, sequence);
        // Nats-Expected-Stream is the client's own header for expectedStream, and the server stores it too
        assertThat(stored.getHeaders().keySet()).filteredOn(name -> !name.startsWith("Nats-"))
                .containsExactlyInAnyOrder("Mm-Tenant", "Mm-Attempt");
        assertThat(stored.getHeaders().getFirst("Mm-Tenant")).isEqualTo("acme");
        assertThat(stored.getHeaders().getFirst("Mm-Attempt")).isEqualTo("3");
    }

    @Test
    void headerValueArrivesAsOnePrintableAsciiLine() throws Exception {
        Exchange result = template.request("jetstream:" + stream + "?subject=" + subject, exchange -> {
            exchange.getIn().setHeader("Mm-Reason", "line one\nline two: na\u00efve \u2603\r\tend");
            exchange.getIn().setBody("x");
        });

        assertThat(result.getException()).isNull();
        long sequence = result.getMessage().getHeader(JetStreamConstants.PUBLISHED_SEQUENCE, Long.class);
        String reason = probe.message(stream, sequence).getHeaders().getFirst("Mm-Reason");
        assertThat(reason).matches(PRINTABLE_ASCII)
                .isEqualTo("line one line two: na\\u00efve \\u2603  end");
    }

    @Test
    void publishOnASubjectOfAnotherStreamFailsAndStoresNothing() throws Exception {
        Exchange result = template.request("jetstream:" + stream + "?subject=" + otherSubject,
                exchange -> exchange.getIn().setBody("misrouted"));

        assertThat(result.getException()).isInstanceOf(JetStreamApiException.class);
        assertThat(probe.messageCount(otherStream)).isZero();
        assertThat(probe.messageCount(stream)).isZero();
    }

    @Test
    void publishWithoutAnySubjectFails() {
        Exchange result = template.request("jetstream:" + stream, exchange -> exchange.getIn().setBody("x"));

        assertThat(result.getException()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining(JetStreamConstants.SUBJECT);
    }

    @Test
    void corePublishReachesAPlainSubscriber() throws Exception {
        Subscription subscriber = probe.connection().subscribe(coreSubject);
        // the subscription must be known to the server before the publish, or the message goes nowhere
        probe.connection().flush(ARRIVES);

        Exchange result = template.request("jetstream:reply?core=true&subject=" + coreSubject, exchange -> {
            exchange.getIn().setHeader("Mm-Job-Id", "01J0000000000000000000000A");
            exchange.getIn().setBody("{\"vectors\":[]}");
        });

        assertThat(result.getException()).isNull();
        assertThat(result.getMessage().getHeader(JetStreamConstants.PUBLISHED_SEQUENCE)).isNull();
        Message received = subscriber.nextMessage(ARRIVES);
        assertThat(received).isNotNull();
        assertThat(text(received.getData())).isEqualTo("{\"vectors\":[]}");
        assertThat(received.getHeaders().getFirst("Mm-Job-Id")).isEqualTo("01J0000000000000000000000A");
        subscriber.unsubscribe();
    }

    private Exchange publishWithId(String msgId) {
        return template.request("jetstream:" + stream + "?subject=" + subject, exchange -> {
            exchange.getIn().setHeader(JetStreamConstants.MSG_ID, msgId);
            exchange.getIn().setBody("once");
        });
    }

    private static String text(byte[] data) {
        return new String(data, StandardCharsets.UTF_8);
    }
}
