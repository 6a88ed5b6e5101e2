package dev.memorymodule.workers.jetstream;

/**
 * Names of the Camel message headers and exchange properties that the {@code jetstream} endpoint reads and writes.
 */
public final class JetStreamConstants {

    /** Subject the message was published on (consumer), or the subject to publish on (producer). */
    public static final String SUBJECT = "JetStreamSubject";
    /** Stream the message was read from, or the stream that stored a published message. */
    public static final String STREAM = "JetStreamStream";
    /** Stream sequence of the message. */
    public static final String SEQUENCE = "JetStreamSequence";
    /** How many times JetStream has delivered this message, this delivery included (1 on the first). */
    public static final String DELIVERY_COUNT = "JetStreamDeliveryCount";
    /** True when this delivery is the consumer's last one (delivery count reached max deliver). */
    public static final String LAST_DELIVERY = "JetStreamLastDelivery";
    /**
     * True when the delivery count is past max deliver: the last delivery was made but never settled (the worker
     * holding it crashed, was killed or lost its connection), so the server delivered it again. A route should
     * not run such a message again (it may be what brought the worker down) but report it; any failure of it is
     * dead-lettered.
     */
    public static final String DELIVERIES_SPENT = "JetStreamDeliveriesSpent";
    /** Time the message was stored in the stream, epoch milliseconds. */
    public static final String PUBLISHED_AT = "JetStreamPublishedAt";
    /** Time this worker received the delivery, epoch milliseconds. */
    public static final String RECEIVED_AT = "JetStreamReceivedAt";
    /** Durable consumer the message came through. */
    public static final String CONSUMER = "JetStreamConsumer";
    /** Producer: value for the {@code Nats-Msg-Id} header, so the server drops duplicates in its window. */
    public static final String MSG_ID = "JetStreamMsgId";
    /** Producer result: the stream sequence the server stored the published message at. */
    public static final String PUBLISHED_SEQUENCE = "JetStreamPublishedSequence";
    /** Producer result: true when the server reported the publish as a duplicate inside its window. */
    public static final String DUPLICATE = "JetStreamDuplicate";

    /**
     * Exchange property a route sets to say how the consumer settles a message whose exchange succeeded:
     * {@link AckAction} name or value. Absent means {@code ack}.
     */
    public static final String ACK_ACTION = "JetStreamAckAction";
    /** Exchange property: the reason sent along when the consumer dead-letters a message itself. */
    public static final String DEAD_LETTER_REASON = "JetStreamDeadLetterReason";

    /** NATS header counting how many times a job was handed over to another worker ({@link AckAction#HANDOVER}). */
    public static final String HANDOVERS = "Mm-Handovers";
    /** Exchange property a route sets with {@link AckAction#HANDOVER}: why, sent along with the copy. */
    public static final String HANDOVER_REASON = "JetStreamHandoverReason";
    /** NATS header on a handed-over copy: why the last worker handed it over. */
    public static final String HANDOVER_REASON_HEADER = "Mm-Handover-Reason";

    /**
     * The stream message a job delivery stands for, as {@code STREAM:SEQUENCE}. On a delivery it is the message itself,
     * except for a handed-over copy ({@link AckAction#HANDOVER}), which carries the message first published as a NATS
     * header of this name through every handover, so the job's outcome is told once, for the message its publisher
     * stored.
     */
    public static final String ORIGIN = "Mm-Origin";

    /**
     * Prefix of a dead letter's de-duplication id, followed by {@link #ORIGIN}'s value: one dead letter per job
     * message, whether the consumer or a route's dead-letter channel stores it.
     */
    public static final String DEAD_LETTER_ID_PREFIX = "dlq:";

    /** NATS header the server uses for de-duplication. */
    public static final String NATS_MSG_ID = "Nats-Msg-Id";

    private JetStreamConstants() {
    }
}
