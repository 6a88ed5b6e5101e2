package dev.memorymodule.workers.dlq;

import java.time.Instant;
import java.util.Locale;

/**
 * Which dead letters to read. The subject filter and the start time are applied by the server; the reason is
 * matched here, as a case-insensitive part of {@code Mm-Dlq-Reason}.
 *
 * @param subjectFilter a NATS subject filter inside the dead-letter stream, or null for all of it
 * @param since         the earliest time a dead letter may have been stored, or null for any
 * @param reasonPart    text the reason must contain, or null for any reason
 */
public record DeadLetterQuery(String subjectFilter, Instant since, String reasonPart) {

    /** Every dead letter. */
    public static final DeadLetterQuery ALL = new DeadLetterQuery(null, null, null);

    public boolean matches(DeadLetter letter) {
        if (since != null && letter.time().isBefore(since)) {
            return false;
        }
        return reasonPart == null
                || letter.reason().toLowerCase(Locale.ROOT).contains(reasonPart.toLowerCase(Locale.ROOT));
    }
}
