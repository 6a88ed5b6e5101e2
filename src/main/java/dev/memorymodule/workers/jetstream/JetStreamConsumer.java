package dev.memorymodule.workers.jetstream;

import java.time.Duration;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.TransientJobException;
import io.nats.client.Connection;
import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;
import io.nats.client.JetStreamSubscription;
import io.nats.client.Message;
import io.nats.client.PublishOptions;
import io.nats.client.PullSubscribeOptions;
import io.nats.client.api.AckPolicy;
import io.nats.client.api.ConsumerConfiguration;
import io.nats.client.api.ConsumerInfo;
import io.nats.client.api.DeliverPolicy;
import io.nats.client.impl.Headers;
import io.nats.client.impl.NatsJetStreamMetaData;
import org.apache.camel.Exchange;
import org.apache.camel.Processor;
import org.apache.camel.support.DefaultConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.slf4j.MDC;

/**
 * A durable pull consumer that never loses a message it could not process.
 * <p>
 * One thread fetches in batches no larger than the free processing slots; a pool of {@code concurrency} threads
 * runs the exchanges. A message is settled only after its exchange is done: acked on success (or as the route
 * asked through {@link JetStreamConstants#ACK_ACTION}), nak'ed with a backoff on a transient failure, and on a
 * permanent failure or its last delivery dead-lettered (when a subject is configured) and then terminated. While
 * an exchange runs, in-progress signals keep the server from redelivering the message to another worker.
 * <p>
 * The delivery budget ({@code maxDeliver}) is counted here; the server's consumer redelivers without limit, so a
 * message whose last delivery was never settled comes back, marked {@link JetStreamConstants#DELIVERIES_SPENT}.
 */
public class JetStreamConsumer extends DefaultConsumer {

    private static final Logger LOG = LoggerFactory.getLogger(JetStreamConsumer.class);
    /** After a failed fetch (server away, reconnecting) wait this long before asking again. */
    private static final Duration FETCH_ERROR_PAUSE = Duration.ofSeconds(1);
    /** Prefix of the headers that the NATS server reads as instructions for the stream it stores into. */
    private static final String SERVER_HEADER_PREFIX = "Nats-";
    private static final String HEADER_DLQ_REASON = "Mm-Dlq-Reason";
    private static final String HEADER_DLQ_STREAM = "Mm-Dlq-Stream";
    private static final String HEADER_DLQ_SUBJECT = "Mm-Dlq-Subject";
    private static final String HEADER_DLQ_DELIVERIES = "Mm-Dlq-Deliveries";
    /** A handover's reason travels in a header; it is cut at this length. */
    private static final int MAX_HANDOVER_REASON = 500;

    private final JetStreamEndpoint endpoint;
    private final NakBackoff backoff;
    private final Set<Message> inFlight = ConcurrentHashMap.newKeySet();
    private final AtomicLong acked = new AtomicLong();
    private final AtomicLong naked = new AtomicLong();
    private final AtomicLong terminated = new AtomicLong();

    private volatile boolean fetching;
    private Semaphore slots;
    private JetStreamSubscription subscription;
    private JetStream jetStream;
    private ExecutorService fetcher;
    private ExecutorService workers;
    private ScheduledExecutorService ticker;
    private ScheduledExecutorService handovers;

    public JetStreamConsumer(JetStreamEndpoint endpoint, Processor processor) {
        super(endpoint, processor);
        endpoint.checkDurations();
        requireAtLeastOne(endpoint, "concurrency", endpoint.getConcurrency());
        requireAtLeastOne(endpoint, "batchSize", endpoint.getBatchSize());
        requireAtLeastOne(endpoint, "maxAckPending", endpoint.getMaxAckPending());
        this.endpoint = endpoint;
        this.backoff = NakBackoff.parse(endpoint.getNakBackoff());
    }

    private static void requireAtLeastOne(JetStreamEndpoint endpoint, String option, int value) {
        if (value < 1) {
            throw new IllegalArgumentException("jetstream:" + endpoint.getStream() + " (durable "
                    + endpoint.getDurable() + "): " + option + " is " + value + "; it must be at least 1");
        }
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        Connection connection = endpoint.getComponent().connection();
        ensureConsumer(connection.jetStreamManagement());
        jetStream = connection.jetStream();
        subscription = jetStream.subscribe(null,
                PullSubscribeOptions.bind(endpoint.getStream(), endpoint.getDurable()));

        slots = new Semaphore(endpoint.getConcurrency());
        var executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        workers = executors.newFixedThreadPool(this, "jetstream-" + endpoint.getDurable(), endpoint.getConcurrency());
        ticker = executors.newSingleThreadScheduledExecutor(this, "jetstream-progress-" + endpoint.getDurable());
        long tick = inProgressInterval().toMillis();
        ticker.scheduleAtFixedRate(this::signalInProgress, tick, tick, TimeUnit.MILLISECONDS);
        handovers = executors.newSingleThreadScheduledExecutor(this, "jetstream-handover-" + endpoint.getDurable());

        fetching = true;
        fetcher = executors.newSingleThreadExecutor(this, "jetstream-fetch-" + endpoint.getDurable());
        fetcher.submit(this::fetchLoop);
        LOG.info("Consuming {} through durable {} (filter {}, concurrency {}, batch {})", endpoint.getStream(),
                endpoint.getDurable(), endpoint.getFilterSubject(), endpoint.getConcurrency(),
                endpoint.getBatchSize());
    }

    @Override
    protected void doStop() throws Exception {
        fetching = false;
        var executors = getEndpoint().getCamelContext().getExecutorServiceManager();
        if (fetcher != null) {
            executors.shutdownGraceful(fetcher);
        }
        if (workers != null) {
            // let the jobs in hand finish and be settled; what is still running after the drain timeout
            // is given back so another worker takes it at once
            workers.shutdown();
            if (!workers.awaitTermination(JetStreamEndpoint.duration(endpoint.getDrainTimeout()).toMillis(),
                    TimeUnit.MILLISECONDS)) {
                for (Message message : inFlight) {
                    message.nak();
                }
                LOG.warn("Released {} message(s) of {} still in flight after the drain timeout", inFlight.size(),
                        endpoint.getDurable());
                workers.shutdownNow();
            }
        }
        if (handovers != null) {
            // handovers not yet done go back to the stream now; the next worker decides again
            executors.shutdownNow(handovers);
            for (Message message : inFlight) {
                message.nak();
            }
        }
        if (ticker != null) {
            executors.shutdownNow(ticker);
        }
        if (subscription != null && subscription.isActive()) {
            try {
                subscription.unsubscribe();
            } catch (IllegalStateException e) {
                // the connection is already closing; the durable consumer lives on in the server
                LOG.debug("Unsubscribe of {} skipped: {}", endpoint.getDurable(), e.getMessage());
            }
        }
        LOG.info("Stopped consuming {} through {}: {} acked, {} nak'ed, {} terminated", endpoint.getStream(),
                endpoint.getDurable(), acked.get(), naked.get(), terminated.get());
        super.doStop();
    }

    private void ensureConsumer(JetStreamManagement management) throws Exception {
        ConsumerConfiguration.Builder config = ConsumerConfiguration.builder()
                .durable(endpoint.getDurable())
                .ackPolicy(AckPolicy.Explicit)
                .deliverPolicy(DeliverPolicy.All)
                .ackWait(JetStreamEndpoint.duration(endpoint.getAckWait()))
                // the delivery budget is kept here, not by the server: a server that stops at max deliver never
                // sends again a last delivery whose worker died before settling it, and the message would sit in
                // the work queue for good with no outcome. Unlimited on the server, a delivery past the budget
                // comes back marked spent, and the route reports it instead of running it again.
                .maxDeliver(-1)
                .maxAckPending(endpoint.getMaxAckPending());
        if (endpoint.getFilterSubject() != null && !endpoint.getFilterSubject().isBlank()) {
            config.filterSubject(endpoint.getFilterSubject());
        }
        refuseAnotherFilter(management);
        try {
            management.addOrUpdateConsumer(endpoint.getStream(), config.build());
        } catch (JetStreamApiException e) {
            throw new IllegalStateException("cannot create or update durable consumer " + endpoint.getDurable()
                    + " on stream " + endpoint.getStream() + ": " + e.getMessage() + otherConsumers(management), e);
        }
    }

    /**
     * Workers of one pool share their durable consumer, so the filter is the pool's, not one worker's: a worker
     * that brought another filter would narrow (or widen) what its whole pool receives, silently, and the jobs
     * left outside would wait in the stream with no consumer. It refuses to start instead.
     */
    private void refuseAnotherFilter(JetStreamManagement management) throws Exception {
        ConsumerInfo existing;
        try {
            existing = management.getConsumerInfo(endpoint.getStream(), endpoint.getDurable());
        } catch (JetStreamApiException e) {
            return; // not there yet: this worker creates it
        }
        String have = blankToAll(existing.getConsumerConfiguration().getFilterSubject());
        String want = blankToAll(endpoint.getFilterSubject());
        if (!have.equals(want)) {
            throw new IllegalStateException("durable consumer " + endpoint.getDurable() + " on stream "
                    + endpoint.getStream() + " has filter " + have + ", and this worker's is " + want + ": the "
                    + "workers of one pool share it, so they must share its filter. Give this worker the pool's "
                    + "filter, or another pool name; to change the pool's filter, stop the pool and delete the "
                    + "durable consumer first");
        }
    }

    private static String blankToAll(String filter) {
        return filter == null || filter.isBlank() ? ">" : filter.trim();
    }

    /** The stream's other durable consumers and their filters, for an error about overlapping ones. */
    private String otherConsumers(JetStreamManagement management) {
        try {
            StringBuilder others = new StringBuilder();
            for (ConsumerInfo info : management.getConsumers(endpoint.getStream())) {
                if (!info.getName().equals(endpoint.getDurable())) {
                    others.append(others.length() == 0 ? "" : ", ").append(info.getName()).append(" (filter ")
                            .append(blankToAll(info.getConsumerConfiguration().getFilterSubject())).append(')');
                }
            }
            return others.length() == 0 ? "" : "; this worker's filter is " + blankToAll(endpoint.getFilterSubject())
                    + " and the stream's other consumers are " + others;
        } catch (Exception e) {
            return "";
        }
    }

    private void fetchLoop() {
        Duration fetchTimeout = JetStreamEndpoint.duration(endpoint.getFetchTimeout());
        while (fetching) {
            int wanted = 0;
            try {
                if (!slots.tryAcquire(fetchTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                    continue;
                }
                wanted = 1;
                // ask only for what can start now, so no message waits in this worker while another is idle
                while (wanted < endpoint.getBatchSize() && slots.tryAcquire()) {
                    wanted++;
                }
                // iterate, not fetch: a fetch returns only once the batch is full or its wait is over, so a lone
                // message would sit here for up to the fetch timeout, with no in-progress signal, while slots idle
                Iterator<Message> arriving = subscription.iterate(wanted, fetchTimeout);
                while (arriving.hasNext()) {
                    Message message = arriving.next();
                    if (!fetching) {
                        // stopping between fetch and dispatch: hand it straight back
                        message.nak();
                        continue;
                    }
                    wanted--;
                    inFlight.add(message);
                    workers.submit(() -> handle(message));
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (Exception e) {
                if (fetching) {
                    LOG.warn("Fetch from {} failed, retrying: {}", endpoint.getDurable(), e.toString());
                    pause(FETCH_ERROR_PAUSE);
                }
            } finally {
                if (wanted > 0) {
                    slots.release(wanted);
                }
            }
        }
    }

    private void handle(Message message) {
        Exchange exchange = createExchange(false);
        try {
            fill(exchange, message);
            getProcessor().process(exchange);
        } catch (Exception e) {
            exchange.setException(e);
        } finally {
            boolean held = false;
            try {
                held = settle(message, exchange);
            } finally {
                if (!held) {
                    inFlight.remove(message);
                }
                slots.release();
                releaseExchange(exchange, false);
                // routes may put job context in the MDC; this pool thread must not carry it to the next message
                MDC.clear();
            }
        }
    }

    private void fill(Exchange exchange, Message message) {
        var in = exchange.getIn();
        in.setBody(message.getData());
        if (message.hasHeaders()) {
            Headers headers = message.getHeaders();
            for (String key : headers.keySet()) {
                in.setHeader(key, headers.getFirst(key));
            }
        }
        NatsJetStreamMetaData meta = message.metaData();
        in.setHeader(JetStreamConstants.SUBJECT, message.getSubject());
        in.setHeader(JetStreamConstants.STREAM, meta.getStream());
        in.setHeader(JetStreamConstants.CONSUMER, meta.getConsumer());
        in.setHeader(JetStreamConstants.SEQUENCE, meta.streamSequence());
        in.setHeader(JetStreamConstants.ORIGIN, origin(message));
        in.setHeader(JetStreamConstants.DELIVERY_COUNT, meta.deliveredCount());
        in.setHeader(JetStreamConstants.LAST_DELIVERY, isLastDelivery(meta.deliveredCount()));
        in.setHeader(JetStreamConstants.DELIVERIES_SPENT, isPastLastDelivery(meta.deliveredCount()));
        in.setHeader(JetStreamConstants.PUBLISHED_AT, meta.timestamp().toInstant().toEpochMilli());
        in.setHeader(JetStreamConstants.RECEIVED_AT, System.currentTimeMillis());
    }

    private boolean isLastDelivery(long deliveredCount) {
        return endpoint.getMaxDeliver() > 0 && deliveredCount >= endpoint.getMaxDeliver();
    }

    /** The last delivery was made and never settled: the server delivers again, as it has no limit of its own. */
    private boolean isPastLastDelivery(long deliveredCount) {
        return endpoint.getMaxDeliver() > 0 && deliveredCount > endpoint.getMaxDeliver();
    }

    /** Settles the message; true when it stays held (a handover is pending) and must stay in flight. */
    private boolean settle(Message message, Exchange exchange) {
        long delivered = message.metaData().deliveredCount();
        Exception failure = exchange.getException();
        try {
            if (failure == null) {
                return settleSuccess(message, exchange, delivered);
            } else if (isPermanent(failure) || isLastDelivery(delivered)) {
                String reason = isPermanent(failure) ? failure.getMessage()
                        : "gave up after " + delivered + " deliveries: " + failure.getMessage();
                LOG.warn("Message {} of {} failed for good: {}", message.metaData().streamSequence(),
                        endpoint.getStream(), reason);
                deadLetterThenTerminate(message, reason, delivered);
            } else {
                Duration delay = redeliveryDelay(failure, delivered);
                LOG.warn("Message {} of {} failed (delivery {}), redelivery in {}: {}",
                        message.metaData().streamSequence(), endpoint.getStream(), delivered, delay,
                        failure.toString());
                message.nakWithDelay(delay);
                naked.incrementAndGet();
            }
        } catch (Exception e) {
            // the server will redeliver after ackWait: nothing is lost, at worst it is done again idempotently
            LOG.warn("Could not settle message {} of {}: {}", message.metaData().streamSequence(),
                    endpoint.getStream(), e.toString());
        }
        return false;
    }

    /**
     * The backoff for this delivery count; but when the next delivery is the last one and the failure knows how long
     * its cause lasts at most (another worker's claim on the job), no sooner than that, so the last delivery is not
     * spent on a wait that was bound to fail.
     */
    private Duration redeliveryDelay(Throwable failure, long delivered) {
        Duration delay = backoff.delayFor(delivered);
        if (isLastDelivery(delivered + 1)) {
            for (Throwable t = failure; t != null; t = t.getCause()) {
                if (t instanceof TransientJobException transientFailure) {
                    Duration clears = transientFailure.clearsWithin().orElse(Duration.ZERO);
                    if (clears.compareTo(delay) > 0) {
                        delay = clears;
                    }
                    break;
                }
            }
        }
        return delay;
    }

    private boolean settleSuccess(Message message, Exchange exchange, long delivered) throws Exception {
        AckAction action = AckAction.parse(exchange.getProperty(JetStreamConstants.ACK_ACTION));
        if (action == AckAction.HANDOVER) {
            scheduleHandover(message, delivered,
                    exchange.getProperty(JetStreamConstants.HANDOVER_REASON, String.class));
            return true;
        }
        switch (action) {
            case ACK -> {
                // wait for the server to confirm, so an ack lost on the way shows up in the log
                message.ackSync(endpoint.getComponent().requestTimeoutDuration());
                acked.incrementAndGet();
            }
            case TERM -> {
                message.term();
                terminated.incrementAndGet();
            }
            case RELEASE -> {
                message.nak();
                naked.incrementAndGet();
            }
            case NAK -> {
                message.nakWithDelay(backoff.delayFor(delivered));
                naked.incrementAndGet();
            }
            default -> throw new IllegalStateException("unhandled ack action " + action);
        }
        return false;
    }

    /**
     * A handover frees the processing slot at once but keeps the message (in-progress signals go on) until its
     * fresh copy is stored; only then is it terminated, so a crash in between leaves the original to be redelivered.
     * The copy's de-duplication id is tied to the original, so handing the same message over twice stores one copy.
     */
    private void scheduleHandover(Message message, long delivered, String reason) {
        handovers.schedule(() -> {
            try {
                // the copy counts its own handovers and carries this one's reason, not the last one's
                Headers headers = headersWithoutServerDirectives(message);
                headers.remove(JetStreamConstants.HANDOVERS, JetStreamConstants.HANDOVER_REASON_HEADER);
                headers.put(JetStreamConstants.HANDOVERS, Long.toString(handoverCount(message) + 1));
                if (reason != null && !reason.isBlank()) {
                    String line = JetStreamProducer.singleLine(reason);
                    headers.put(JetStreamConstants.HANDOVER_REASON_HEADER,
                            line.length() > MAX_HANDOVER_REASON ? line.substring(0, MAX_HANDOVER_REASON) : line);
                }
                headers.put(JetStreamConstants.ORIGIN, origin(message));
                jetStream.publish(message.getSubject(), headers, message.getData(), PublishOptions.builder()
                        .messageId("handover:" + endpoint.getStream() + ":" + message.metaData().streamSequence())
                        .build());
                message.term();
                terminated.incrementAndGet();
            } catch (Exception e) {
                LOG.warn("Handover of message {} of {} failed, giving it back: {}",
                        message.metaData().streamSequence(), endpoint.getStream(), e.toString());
                message.nakWithDelay(backoff.delayFor(delivered));
                naked.incrementAndGet();
            } finally {
                inFlight.remove(message);
            }
        }, JetStreamEndpoint.duration(endpoint.getHandoverDelay()).toMillis(), TimeUnit.MILLISECONDS);
    }

    /** The message first published for this job: a handed-over copy names it, any other message is it. */
    private static String origin(Message message) {
        String named = handoverCount(message) > 0 ? message.getHeaders().getFirst(JetStreamConstants.ORIGIN) : null;
        if (named != null && !named.isBlank()) {
            return named.trim();
        }
        NatsJetStreamMetaData meta = message.metaData();
        return meta.getStream() + ":" + meta.streamSequence();
    }

    private static long handoverCount(Message message) {
        String count = message.hasHeaders() ? message.getHeaders().getFirst(JetStreamConstants.HANDOVERS) : null;
        try {
            return count == null ? 0 : Long.parseLong(count.trim());
        } catch (NumberFormatException e) {
            return 0;
        }
    }

    private void deadLetterThenTerminate(Message message, String reason, long delivered) {
        String subject = endpoint.getDeadLetterSubject();
        if (subject != null && !subject.isBlank()) {
            Headers headers = headersWithoutServerDirectives(message);
            headers.put(HEADER_DLQ_REASON, JetStreamProducer.singleLine(String.valueOf(reason)));
            headers.put(HEADER_DLQ_STREAM, endpoint.getStream());
            headers.put(HEADER_DLQ_SUBJECT, message.getSubject());
            headers.put(HEADER_DLQ_DELIVERIES, Long.toString(delivered));
            try {
                // one dead letter per job message, as the routes' own dead letters: a worker that dies between
                // this publish and the term has the message redelivered, and the copy it stores again is dropped
                jetStream.publish(subject, headers, message.getData(), PublishOptions.builder()
                        .messageId(JetStreamConstants.DEAD_LETTER_ID_PREFIX + origin(message)).build());
            } catch (Exception e) {
                // without a dead letter the message must stay in the stream: give it back instead of terminating
                LOG.error("Dead-letter publish to {} failed; message {} goes back to the stream: {}", subject,
                        message.metaData().streamSequence(), e.toString());
                message.nakWithDelay(backoff.delayFor(delivered));
                naked.incrementAndGet();
                return;
            }
        }
        message.term();
        terminated.incrementAndGet();
    }

    /**
     * The message's headers less the {@code Nats-} ones: those are instructions to the server (message id, expected
     * stream or last sequence, rollup) that were meant for the job's stream. Carried over, they would make the
     * dead-letter stream drop the dead letter as a duplicate or refuse it, and the message could never leave.
     */
    private static Headers headersWithoutServerDirectives(Message message) {
        Headers headers = new Headers();
        if (message.hasHeaders()) {
            Headers original = message.getHeaders();
            for (String key : original.keySet()) {
                if (!key.startsWith(SERVER_HEADER_PREFIX)) {
                    headers.put(key, original.get(key));
                }
            }
        }
        return headers;
    }

    private static boolean isPermanent(Throwable failure) {
        for (Throwable t = failure; t != null; t = t.getCause()) {
            if (t instanceof PermanentJobException) {
                return true;
            }
        }
        return false;
    }

    private void signalInProgress() {
        for (Message message : inFlight) {
            try {
                message.inProgress();
            } catch (Exception e) {
                LOG.debug("In-progress signal failed for {}: {}", message.metaData().streamSequence(), e.toString());
            }
        }
    }

    private Duration inProgressInterval() {
        if (endpoint.getInProgressInterval() != null && !endpoint.getInProgressInterval().isBlank()) {
            return JetStreamEndpoint.duration(endpoint.getInProgressInterval());
        }
        // a third of the ack wait leaves two chances for a signal to arrive before the server gives up
        Duration ackWait = JetStreamEndpoint.duration(endpoint.getAckWait());
        return Duration.ofMillis(Math.max(100, ackWait.toMillis() / 3));
    }

    private static void pause(Duration duration) {
        try {
            Thread.sleep(duration.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** Messages this worker holds now; exposed for metrics and drain checks. */
    public int inFlightCount() {
        return inFlight.size();
    }
}
