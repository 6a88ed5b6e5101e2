package dev.memorymodule.workers.jetstream;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;

import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.TransientJobException;
import dev.memorymodule.workers.testsupport.NatsServer;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.MessageInfo;
import io.nats.client.impl.Headers;
import org.apache.camel.CamelContext;
import org.apache.camel.builder.RouteBuilder;
import org.apache.camel.impl.DefaultCamelContext;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

/**
 * The contract of the {@code jetstream} consumer, over a real nats-server: what is acked, nak'ed with backoff,
 * dead-lettered and terminated, and that no message is lost or run twice on the paths a worker meets.
 */
@Timeout(60)
class JetStreamConsumerTest {

    private static final String DURABLE = "worker";
    private static final Duration SETTLED = Duration.ofSeconds(10);
    // a fetch shorter than the ack waits below, so a stopping consumer lets go quickly
    private static final String FAST = "&fetchTimeout=250ms";
    // the server's timers fire a few milliseconds either side of the nominal delay
    private static final long TIMER_SLACK_MILLIS = 20;
    // a quiet connection that stopped sending is noticed after a few unanswered pings; keep that short here
    private static final String PING_INTERVAL = "500ms";
    private static final AtomicInteger TEST_NUMBER = new AtomicInteger();

    private static NatsServer nats;
    private static StreamProbe probe;

    private final List<CamelContext> contexts = new ArrayList<>();
    private String stream;
    private String subject;
    private String deadLetterStream;
    private String deadLetterSubject;

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

    /** Each test gets its own job stream and dead-letter stream, so nothing one leaves behind reaches another. */
    @BeforeEach
    void createStreams() throws Exception {
        int n = TEST_NUMBER.incrementAndGet();
        stream = "JOBS_" + n;
        subject = "t" + n + ".jobs.embed";
        deadLetterStream = "DLQ_" + n;
        deadLetterSubject = "t" + n + ".dlq.jobs";
        probe.createWorkQueue(stream, "t" + n + ".jobs.>");
        probe.createLimits(deadLetterStream, "t" + n + ".dlq.>");
    }

    @AfterEach
    void stopContexts() {
        contexts.forEach(CamelContext::stop);
    }

    @Test
    void successfulMessageIsProcessedOnceAndAcked() throws Exception {
        RecordingProcessor route = RecordingProcessor.succeeding();
        start(route, "ackWait=2s" + FAST);

        long sequence = probe.publish(subject, bytes("hello"));

        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        await().atMost(SETTLED).untilAsserted(() -> {
            ConsumerInfo info = probe.consumer(stream, DURABLE);
            assertThat(info.getNumAckPending()).isZero();
            assertThat(info.getNumPending()).isZero();
            assertThat(info.getRedelivered()).isZero();
            assertThat(info.getAckFloor().getStreamSequence()).isEqualTo(sequence);
        });
        assertThat(route.count()).isEqualTo(1);
        RecordingProcessor.Delivery delivery = route.deliveries().get(0);
        assertThat(delivery.text()).isEqualTo("hello");
        assertThat(delivery.count()).isEqualTo(1);
        assertThat(delivery.sequence()).isEqualTo(sequence);
        assertThat(delivery.subject()).isEqualTo(subject);
        assertThat(delivery.headers())
                .containsEntry(JetStreamConstants.STREAM, stream)
                .containsEntry(JetStreamConstants.CONSUMER, DURABLE)
                .containsKeys(JetStreamConstants.PUBLISHED_AT, JetStreamConstants.RECEIVED_AT);
    }

    @Test
    void loneMessageReachesTheRouteWithoutWaitingForTheFetchToEnd() throws Exception {
        // a long fetch with free slots left: the message must not sit in the worker until the fetch expires
        long fetchMillis = 3_000;
        RecordingProcessor route = RecordingProcessor.succeeding();
        start(route, "ackWait=10s&concurrency=4&fetchTimeout=" + fetchMillis + "ms");

        long publishedNanos = System.nanoTime();
        probe.publish(subject, bytes("now"));

        await().atMost(SETTLED).until(() -> route.count() == 1);
        long waitedMillis = (route.deliveries().get(0).arrivedNanos() - publishedNanos) / 1_000_000;
        assertThat(waitedMillis).isLessThan(fetchMillis / 3);
    }

    @Test
    void transientFailureIsRedeliveredAfterTheBackoffUntilItSucceeds() throws Exception {
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) -> {
            if (delivery.count() < 3) {
                throw new RuntimeException("store briefly away");
            }
        });
        start(route, "ackWait=3s&nakBackoff=300ms,1s" + FAST);

        probe.publish(subject, bytes("retry me"));

        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertThat(route.deliveryCounts()).containsExactly(1L, 2L, 3L);
        // each gap is the backoff step for that failure, and well short of the ack wait that would also redeliver
        assertThat(route.gapMillis(1)).isBetween(300 - TIMER_SLACK_MILLIS, 1_000L);
        assertThat(route.gapMillis(2)).isBetween(1_000 - TIMER_SLACK_MILLIS, 2_500L);
        await().atMost(SETTLED).untilAsserted(() -> assertThat(probe.consumer(stream, DURABLE).getNumAckPending())
                .isZero());
    }

    @Test
    void permanentFailureIsDeadLetteredOnceWithTheReasonAndTerminated() throws Exception {
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) -> {
            throw new PermanentJobException("text is empty");
        });
        start(route, "ackWait=1s&deadLetterSubject=" + deadLetterSubject + FAST);
        byte[] original = { 0, 1, (byte) 0xfe, (byte) 0xff, '{', '}' };
        Headers headers = new Headers()
                .put("Mm-Tenant", "acme")
                .put(JetStreamConstants.NATS_MSG_ID, "job-1");

        long sequence = probe.publish(subject, headers, original);

        await().atMost(SETTLED).until(() -> probe.messageCount(deadLetterStream) == 1);
        MessageInfo deadLetter = probe.lastMessage(deadLetterStream, deadLetterSubject);
        assertThat(deadLetter.getData()).isEqualTo(original);
        Headers dlqHeaders = deadLetter.getHeaders();
        assertThat(dlqHeaders.getFirst("Mm-Dlq-Reason")).isEqualTo("text is empty");
        assertThat(dlqHeaders.getFirst("Mm-Dlq-Stream")).isEqualTo(stream);
        assertThat(dlqHeaders.getFirst("Mm-Dlq-Subject")).isEqualTo(subject);
        assertThat(dlqHeaders.getFirst("Mm-Dlq-Deliveries")).isEqualTo("1");
        assertThat(dlqHeaders.getFirst("Mm-Tenant")).isEqualTo("acme");
        // the publisher's id stays behind, or the dead-letter stream would drop a second dead letter of a
        // re-published job; the dead letter's own id is the job message's, so storing it twice keeps one
        assertThat(dlqHeaders.getFirst(JetStreamConstants.NATS_MSG_ID)).isEqualTo("dlq:" + stream + ":" + sequence);

        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertNoMoreDeliveries(route, 1, Duration.ofMillis(1_500));
    }

    @Test
    void deadLetterLeavesThePublishersServerDirectivesBehind() throws Exception {
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) -> {
            throw new PermanentJobException("unknown type");
        });
        start(route, "ackWait=1s&deadLetterSubject=" + deadLetterSubject + FAST);
        // what a client sends when it publishes with an expected stream; the server keeps it with the message
        Headers headers = new Headers()
                .put("Nats-Expected-Stream", stream)
                .put("Mm-Tenant", "acme");

        probe.publish(subject, headers, bytes("{}"));

        // carried over, the expectation would make the dead-letter stream refuse the dead letter
        await().atMost(SETTLED).until(() -> probe.messageCount(deadLetterStream) == 1);
        Headers dlqHeaders = probe.lastMessage(deadLetterStream, deadLetterSubject).getHeaders();
        assertThat(dlqHeaders.keySet()).filteredOn(name -> name.startsWith("Nats-"))
                .containsExactly(JetStreamConstants.NATS_MSG_ID);
        assertThat(dlqHeaders.getFirst("Mm-Tenant")).isEqualTo("acme");
        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertThat(route.count()).isEqualTo(1);
    }

    @Test
    void lastDeliveryIsDeadLetteredWithGaveUpAndNotDeliveredAgain() throws Exception {
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) -> {
            throw new TransientJobException("vector store unreachable");
        });
        start(route, "ackWait=1s&maxDeliver=3&nakBackoff=100ms&deadLetterSubject=" + deadLetterSubject + FAST);

        probe.publish(subject, bytes("doomed"));

        await().atMost(SETTLED).until(() -> probe.messageCount(deadLetterStream) == 1);
        Headers dlqHeaders = probe.lastMessage(deadLetterStream, deadLetterSubject).getHeaders();
        assertThat(dlqHeaders.getFirst("Mm-Dlq-Reason"))
                .contains("gave up after 3 deliveries")
                .contains("vector store unreachable");
        assertThat(dlqHeaders.getFirst("Mm-Dlq-Deliveries")).isEqualTo("3");
        assertThat(route.deliveryCounts()).containsExactly(1L, 2L, 3L);
        assertThat(route.deliveries()).extracting(RecordingProcessor.Delivery::last)
                .containsExactly(false, false, true);

        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertNoMoreDeliveries(route, 3, Duration.ofMillis(1_500));
    }

    @Test
    void lastDeliveryThatNeverSettledComesBackMarkedSpent() throws Exception {
        // the worker holding the last delivery dies with it: its connection goes, nothing is settled
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) -> {
            if (delivery.count() < 3) {
                throw new TransientJobException("store briefly away");
            }
            if (delivery.count() == 3) {
                exchange.getContext().getComponent("jetstream", JetStreamComponent.class).connection().close();
            }
        });
        String options = "ackWait=1s&maxDeliver=3&nakBackoff=100ms&deadLetterSubject=" + deadLetterSubject + FAST;
        start(route, options);
        start(route, options);

        probe.publish(subject, bytes("crashes its worker"));

        // the survivor gets it once more, told that the budget is spent, and settles it
        await().atMost(SETTLED).until(() -> route.count() == 4);
        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertThat(route.deliveryCounts()).containsExactly(1L, 2L, 3L, 4L);
        assertThat(route.deliveries()).extracting(d -> d.headers().get(JetStreamConstants.DELIVERIES_SPENT))
                .containsExactly(false, false, false, true);
        assertThat(route.deliveries().get(3).last()).isTrue();
        assertNoMoreDeliveries(route, 4, Duration.ofMillis(1_500));
    }

    @Test
    void spentDeliveryThatFailsIsDeadLetteredNotRedelivered() throws Exception {
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) -> {
            if (delivery.count() == 2) {
                exchange.getContext().getComponent("jetstream", JetStreamComponent.class).connection().close();
            }
            throw new TransientJobException("still failing");
        });
        String options = "ackWait=1s&maxDeliver=2&nakBackoff=100ms&deadLetterSubject=" + deadLetterSubject + FAST;
        start(route, options);
        start(route, options);

        probe.publish(subject, bytes("doomed twice"));

        await().atMost(SETTLED).until(() -> probe.messageCount(deadLetterStream) == 1);
        assertThat(probe.lastMessage(deadLetterStream, deadLetterSubject).getHeaders().getFirst("Mm-Dlq-Reason"))
                .contains("gave up after 3 deliveries");
        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertNoMoreDeliveries(route, 3, Duration.ofMillis(1_500));
    }

    @Test
    void failureThatClearsLaterPutsTheLastDeliveryPastIt() throws Exception {
        long clearsMillis = 2_000;
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) -> {
            if (delivery.count() < 3) {
                throw new TransientJobException("key held by another job", Duration.ofMillis(clearsMillis));
            }
        });
        start(route, "ackWait=5s&maxDeliver=3&nakBackoff=100ms" + FAST);

        probe.publish(subject, bytes("waits for its twin"));

        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertThat(route.deliveryCounts()).containsExactly(1L, 2L, 3L);
        // the first retry keeps the backoff; only the last delivery waits for the cause to clear
        assertThat(route.gapMillis(1)).isBetween(100 - TIMER_SLACK_MILLIS, clearsMillis / 2);
        assertThat(route.gapMillis(2)).isGreaterThanOrEqualTo(clearsMillis - TIMER_SLACK_MILLIS);
    }

    @Test
    void workerBringingAnotherFilterToItsPoolsDurableRefusesToStartAndChangesNothing() throws Exception {
        start(RecordingProcessor.succeeding(), "filterSubject=" + subject + FAST);
        String wider = subject.substring(0, subject.lastIndexOf('.')) + ".>";

        assertThatThrownBy(() -> start(RecordingProcessor.succeeding(), "filterSubject=" + wider + FAST))
                .hasStackTraceContaining("durable consumer " + DURABLE + " on stream " + stream + " has filter "
                        + subject + ", and this worker's is " + wider);
        assertThat(probe.consumer(stream, DURABLE).getConsumerConfiguration().getFilterSubject()).isEqualTo(subject);
    }

    @Test
    void aDurationWithoutItsUnitIsRefusedNotReadAsMilliseconds() {
        assertThatThrownBy(() -> start(RecordingProcessor.succeeding(), "ackWait=30" + FAST))
                .hasStackTraceContaining("ackWait takes a duration with its unit (30s, 2h, 7d), not '30'");
    }

    @Test
    void concurrencyBelowOneIsRefusedNamingTheOption() {
        assertThatThrownBy(() -> start(RecordingProcessor.succeeding(), "concurrency=0" + FAST))
                .hasStackTraceContaining("jetstream:" + stream + " (durable " + DURABLE + "): concurrency is 0; "
                        + "it must be at least 1");
    }

    @Test
    void messageStaysInTheStreamWhenItsDeadLetterCannotBePublished() throws Exception {
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) -> {
            throw new PermanentJobException("unsupported model");
        });
        String nowhere = "nowhere.dlq.jobs";
        start(route, "ackWait=2s&maxDeliver=5&nakBackoff=200ms&deadLetterSubject=" + nowhere + FAST);

        probe.publish(subject, bytes("keep me"));

        // given back instead of terminated: it comes round again, and the stream still holds it
        await().atMost(SETTLED).until(() -> route.count() >= 2);
        assertThat(route.deliveryCounts()).startsWith(1L, 2L);
        assertThat(probe.messageCount(stream)).isEqualTo(1);
        assertThat(probe.messageCount(deadLetterStream)).isZero();
    }

    @Test
    void longJobIsHeldByInProgressSignalsAndDeliveredOnce() throws Exception {
        long ackWaitMillis = 1_000;
        RecordingProcessor route = RecordingProcessor.working(3 * ackWaitMillis);
        start(route, "ackWait=" + ackWaitMillis + "ms" + FAST);

        probe.publish(subject, bytes("slow"));

        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertThat(route.count()).isEqualTo(1);
        assertThat(route.finished()).isEqualTo(1);
        assertThat(probe.consumer(stream, DURABLE).getRedelivered()).isZero();
    }

    @Test
    void ackActionTermTerminatesWithoutRedelivery() throws Exception {
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) ->
                exchange.setProperty(JetStreamConstants.ACK_ACTION, "term"));
        start(route, "ackWait=1s" + FAST);

        probe.publish(subject, bytes("not for anyone"));

        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertNoMoreDeliveries(route, 1, Duration.ofMillis(1_500));
        assertThat(probe.messageCount(deadLetterStream)).isZero();
    }

    @Test
    void ackActionReleaseRedeliversAtOnce() throws Exception {
        RecordingProcessor route = new RecordingProcessor((exchange, delivery) -> {
            if (delivery.count() == 1) {
                exchange.setProperty(JetStreamConstants.ACK_ACTION, AckAction.RELEASE);
            }
        });
        // backoff and ack wait both long, so a quick second delivery can only come from the release
        long ackWaitMillis = 5_000;
        start(route, "ackWait=" + ackWaitMillis + "ms&nakBackoff=10s" + FAST);

        probe.publish(subject, bytes("someone else's"));

        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertThat(route.deliveryCounts()).containsExactly(1L, 2L);
        assertThat(route.gapMillis(1)).isLessThan(ackWaitMillis / 2);
    }

    @Test
    void concurrentSlotsProcessEachMessageOnce() throws Exception {
        int messages = 40;
        RecordingProcessor route = RecordingProcessor.working(200);
        for (int i = 0; i < messages; i++) {
            probe.publish(subject, bytes("job-" + i));
        }

        start(route, "ackWait=5s&concurrency=4" + FAST);

        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertThat(route.count()).isEqualTo(messages);
        assertThat(route.deliveries()).extracting(RecordingProcessor.Delivery::text)
                .containsExactlyInAnyOrderElementsOf(IntStream.range(0, messages).mapToObj(i -> "job-" + i).toList());
        assertThat(route.mostRunning()).isBetween(3, 4);
    }

    @Test
    void stoppingLetsRunningJobsFinishAndAcksThem() throws Exception {
        RecordingProcessor first = RecordingProcessor.working(2_000);
        CamelContext context = start(first, "ackWait=5s&concurrency=2" + FAST);
        probe.publish(subject, bytes("a"));
        probe.publish(subject, bytes("b"));
        await().atMost(SETTLED).until(() -> first.started() == 2);

        context.stop();

        assertThat(first.finished()).isEqualTo(2);
        assertThat(probe.messageCount(stream)).isZero();
        assertThat(probe.consumer(stream, DURABLE).getNumAckPending()).isZero();

        // a worker that binds to the same durable afterwards gets only what is new
        RecordingProcessor second = RecordingProcessor.succeeding();
        start(second, "ackWait=5s&concurrency=2" + FAST);
        probe.publish(subject, bytes("marker"));
        await().atMost(SETTLED).until(() -> probe.messageCount(stream) == 0);
        assertThat(second.deliveries()).extracting(RecordingProcessor.Delivery::text).containsExactly("marker");
    }

    @Test
    void consumptionGoesOnAfterTheServerRestarts() throws Exception {
        RecordingProcessor route = RecordingProcessor.working(100);
        start(route, "ackWait=2s&concurrency=2" + FAST);
        int perSide = 5;
        for (int i = 0; i < perSide; i++) {
            probe.publish(subject, bytes("before-" + i));
        }
        await().atMost(SETTLED).until(() -> route.finished() >= 2);

        nats.restart();
        // a fresh client for the test's side: this test is about the worker's reconnect, not the probe's
        probe.close();
        probe = new StreamProbe(nats.url());
        for (int i = 0; i < perSide; i++) {
            probe.publish(subject, bytes("after-" + i));
        }

        // at least once: a job whose ack was cut off by the restart may run again, but none goes missing
        await().atMost(Duration.ofSeconds(30)).until(() -> probe.messageCount(stream) == 0);
        Set<String> seen = new HashSet<>();
        route.deliveries().forEach(delivery -> seen.add(delivery.text()));
        for (int i = 0; i < perSide; i++) {
            assertThat(seen).contains("before-" + i, "after-" + i);
        }
    }

    private CamelContext start(RecordingProcessor route, String options) throws Exception {
        CamelContext context = new DefaultCamelContext();
        JetStreamComponent component = new JetStreamComponent();
        component.setServers(nats.url());
        component.setPingInterval(PING_INTERVAL);
        context.addComponent("jetstream", component);
        String uri = "jetstream:" + stream + "?durable=" + DURABLE + "&" + options;
        context.addRoutes(new RouteBuilder() {
            @Override
            public void configure() {
                from(uri).routeId("consumer-under-test").process(route);
            }
        });
        context.start();
        contexts.add(context);
        return context;
    }

    /** Longer than the ack wait, so a message that was not settled for good would have come back by then. */
    private static void assertNoMoreDeliveries(RecordingProcessor route, int expected, Duration hold) {
        await().during(hold).atMost(hold.plusSeconds(2)).until(() -> route.count() == expected);
    }

    private static byte[] bytes(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
