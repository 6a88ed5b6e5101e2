package dev.memorymodule.workers.jetstream;

import java.util.Locale;

/**
 * How a consumed message is settled with JetStream once its exchange is done.
 */
public enum AckAction {
    /** Processed: remove it from the work queue. */
    ACK,
    /** Give it back for redelivery after the consumer's backoff for this delivery count. */
    NAK,
    /** Give it back at once for another worker, as when this one lacks a capability the job needs. */
    RELEASE,
    /** Never deliver it again (it has been dead-lettered, or must not run). */
    TERM,
    /**
     * Hand it to another worker without spending its delivery budget: after the endpoint's handover delay a fresh
     * copy is published on the same subject (counted in the {@code Mm-Handovers} header) and this one is
     * terminated, as for a job this worker lacks a capability for.
     */
    HANDOVER;

    static AckAction parse(Object value) {
        if (value == null) {
            return ACK;
        }
        if (value instanceof AckAction action) {
            return action;
        }
        return valueOf(value.toString().trim().toUpperCase(Locale.ROOT));
    }
}
