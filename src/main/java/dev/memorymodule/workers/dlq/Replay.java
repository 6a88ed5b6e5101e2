package dev.memorymodule.workers.dlq;

/**
 * What replaying one dead letter did.
 *
 * @param letter   the dead letter
 * @param status   what happened
 * @param subject  the subject the job was (or would be) published on; null when it has none
 * @param stream   the stream that stored it, when published
 * @param sequence its sequence there, when published
 * @param detail   why it was not replayed, for {@link Status#NOT_REPLAYABLE}, {@link Status#REFUSED} and
 *                 {@link Status#FAILED}
 */
public record Replay(DeadLetter letter, Status status, String subject, String stream, long sequence, String detail) {

    public enum Status {
        /** A dry run: it would be published. */
        WOULD_REPLAY,
        /** Published; the job stream stored it. */
        REPLAYED,
        /** The server dropped it: the same dead letter was replayed inside the stream's duplicate window. */
        ALREADY_REPLAYED,
        /** The dead letter does not say where the job came from, so there is nowhere to send it. */
        NOT_REPLAYABLE,
        /**
         * The subject it names is not one of a job stream: a job never came from there, so the dead letter is
         * damaged or forged, and publishing it could put anything into the events or another stream.
         */
        REFUSED,
        /** Publishing failed; nothing was stored. */
        FAILED
    }

    /** True when the job is in a job stream now because of this or an earlier replay of the same dead letter. */
    public boolean republished() {
        return status == Status.REPLAYED || status == Status.ALREADY_REPLAYED;
    }
}
