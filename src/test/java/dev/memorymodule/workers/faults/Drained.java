package dev.memorymodule.workers.faults;

import java.time.Instant;

/**
 * A run once every job message has left the work streams: what the events stream holds, how many deliveries the
 * consumers made beyond one per message, and when the last outcome was stored.
 *
 * @param outcomes     the terminal events stored
 * @param redeliveries deliveries beyond the first, summed over the work streams' consumers
 * @param lastOutcome  when the last terminal event was finished, by the worker's clock
 */
record Drained(Outcomes outcomes, long redeliveries, Instant lastOutcome) {
}
