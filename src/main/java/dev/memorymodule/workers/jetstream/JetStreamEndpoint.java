package dev.memorymodule.workers.jetstream;

import dev.memorymodule.workers.config.DurationText;
import java.time.Duration;

import org.apache.camel.Category;
import org.apache.camel.Consumer;
import org.apache.camel.Processor;
import org.apache.camel.Producer;
import org.apache.camel.spi.UriEndpoint;
import org.apache.camel.spi.UriParam;
import org.apache.camel.spi.UriPath;
import org.apache.camel.support.DefaultEndpoint;

/**
 * {@code jetstream:STREAM[?options]}. As a consumer it binds a durable pull consumer on the stream and hands each
 * message to the route, settling it with JetStream only when the exchange is done. As a producer it publishes the
 * body to the stream and returns once the server has stored it.
 */
@UriEndpoint(firstVersion = "0.1.0", scheme = "jetstream", title = "JetStream (reliable)",
             syntax = "jetstream:stream", category = { Category.MESSAGING })
public class JetStreamEndpoint extends DefaultEndpoint {

    @UriPath(description = "Name of the JetStream stream to consume from or publish to")
    private final String stream;

    @UriParam(label = "consumer", description = "Durable consumer name; workers with the same name share the work")
    private String durable;
    @UriParam(label = "consumer", description = "Subject filter of the durable consumer; on a work-queue stream "
            + "the filters of different consumers must not overlap")
    private String filterSubject;
    @UriParam(label = "consumer", defaultValue = "10",
              description = "Most messages asked for in one fetch; never more than the free processing slots")
    private int batchSize = 10;
    @UriParam(label = "consumer", defaultValue = "2", description = "Messages processed at the same time")
    private int concurrency = 2;
    @UriParam(label = "consumer", defaultValue = "1s",
              description = "How long one fetch waits for messages before asking again")
    private String fetchTimeout = "1s";
    @UriParam(label = "consumer", defaultValue = "30s",
              description = "Time the server waits for an ack before it redelivers; in-progress signals extend it")
    private String ackWait = "30s";
    @UriParam(label = "consumer", defaultValue = "5",
              description = "Deliveries before a failing message is dead-lettered and terminated. Counted by this"
                      + " consumer, not the server (whose consumer redelivers without limit), so a last delivery"
                      + " whose worker died comes back, with JetStreamDeliveriesSpent set")
    private int maxDeliver = 5;
    @UriParam(label = "consumer", defaultValue = "1000",
              description = "Most unacknowledged messages the server hands to all workers of this consumer")
    private int maxAckPending = 1000;
    @UriParam(label = "consumer", defaultValue = "1s,5s,15s,30s,60s",
              description = "Delay before redelivery after the n-th transient failure, comma separated")
    private String nakBackoff = "1s,5s,15s,30s,60s";
    @UriParam(label = "consumer", description = "Interval of in-progress signals for a message still being "
            + "processed; default a third of ackWait")
    private String inProgressInterval;
    @UriParam(label = "consumer", description = "Subject to publish a message to before terminating it when its "
            + "exchange failed permanently or on its last delivery and the route did not dead-letter it itself")
    private String deadLetterSubject;
    @UriParam(label = "consumer", defaultValue = "2s",
              description = "How long a message handed over to another worker is held before its fresh copy is "
                      + "published, so workers that cannot run it do not pass it around in a tight loop")
    private String handoverDelay = "2s";
    @UriParam(label = "consumer", defaultValue = "30s",
              description = "On stop, how long to wait for messages in flight before releasing them")
    private String drainTimeout = "30s";

    @UriParam(label = "producer", description = "Subject to publish on when the JetStreamSubject header is absent")
    private String subject;
    @UriParam(label = "producer", defaultValue = "false",
              description = "Publish with core NATS (no stream, no server ack), as for a reply subject")
    private boolean core;
    @UriParam(label = "producer", defaultValue = "Mm-",
              description = "Camel headers whose names start with this prefix are sent as NATS headers")
    private String headerPrefix = "Mm-";

    public JetStreamEndpoint(String uri, JetStreamComponent component, String stream) {
        super(uri, component);
        this.stream = stream;
    }

    @Override
    public JetStreamComponent getComponent() {
        return (JetStreamComponent) super.getComponent();
    }

    @Override
    public Producer createProducer() {
        return new JetStreamProducer(this);
    }

    @Override
    public Consumer createConsumer(Processor processor) throws Exception {
        if (durable == null || durable.isBlank()) {
            throw new IllegalArgumentException("jetstream consumer on " + stream + " needs a durable name");
        }
        JetStreamConsumer consumer = new JetStreamConsumer(this, processor);
        configureConsumer(consumer);
        return consumer;
    }

    static Duration duration(String value) {
        return DurationText.parse("a jetstream endpoint duration", value);
    }

    /** Checks every duration option once, naming the one that does not give its unit. */
    void checkDurations() {
        DurationText.parse("ackWait", ackWait);
        DurationText.parse("fetchTimeout", fetchTimeout);
        DurationText.parse("handoverDelay", handoverDelay);
        DurationText.parse("drainTimeout", drainTimeout);
        if (inProgressInterval != null && !inProgressInterval.isBlank()) {
            DurationText.parse("inProgressInterval", inProgressInterval);
        }
    }

    public String getStream() {
        return stream;
    }

    public String getDurable() {
        return durable;
    }

    public void setDurable(String durable) {
        this.durable = durable;
    }

    public String getFilterSubject() {
        return filterSubject;
    }

    public void setFilterSubject(String filterSubject) {
        this.filterSubject = filterSubject;
    }

    public int getBatchSize() {
        return batchSize;
    }

    public void setBatchSize(int batchSize) {
        this.batchSize = batchSize;
    }

    public int getConcurrency() {
        return concurrency;
    }

    public void setConcurrency(int concurrency) {
        this.concurrency = concurrency;
    }

    public String getFetchTimeout() {
        return fetchTimeout;
    }

    public void setFetchTimeout(String fetchTimeout) {
        this.fetchTimeout = fetchTimeout;
    }

    public String getAckWait() {
        return ackWait;
    }

    public void setAckWait(String ackWait) {
        this.ackWait = ackWait;
    }

    public int getMaxDeliver() {
        return maxDeliver;
    }

    public void setMaxDeliver(int maxDeliver) {
        this.maxDeliver = maxDeliver;
    }

    public int getMaxAckPending() {
        return maxAckPending;
    }

    public void setMaxAckPending(int maxAckPending) {
        this.maxAckPending = maxAckPending;
    }

    public String getNakBackoff() {
        return nakBackoff;
    }

    public void setNakBackoff(String nakBackoff) {
        this.nakBackoff = nakBackoff;
    }

    public String getInProgressInterval() {
        return inProgressInterval;
    }

    public void setInProgressInterval(String inProgressInterval) {
        this.inProgressInterval = inProgressInterval;
    }

    public String getDeadLetterSubject() {
        return deadLetterSubject;
    }

    public void setDeadLetterSubject(String deadLetterSubject) {
        this.deadLetterSubject = deadLetterSubject;
    }

    public String getHandoverDelay() {
        return handoverDelay;
    }

    public void setHandoverDelay(String handoverDelay) {
        this.handoverDelay = handoverDelay;
    }

    public String getDrainTimeout() {
        return drainTimeout;
    }

    public void setDrainTimeout(String drainTimeout) {
        this.drainTimeout = drainTimeout;
    }

    public String getSubject() {
        return subject;
    }

    public void setSubject(String subject) {
        this.subject = subject;
    }

    public boolean isCore() {
        return core;
    }

    public void setCore(boolean core) {
        this.core = core;
    }

    public String getHeaderPrefix() {
        return headerPrefix;
    }

    public void setHeaderPrefix(String headerPrefix) {
        this.headerPrefix = headerPrefix;
    }
}
