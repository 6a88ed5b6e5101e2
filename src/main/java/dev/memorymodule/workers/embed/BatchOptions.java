package dev.memorymodule.workers.embed;

import java.time.Duration;
import java.util.Objects;

/**
 * How an {@link EmbeddingModel} groups the texts of concurrent callers into shared forward passes.
 *
 * <p>A pass is cut when it holds {@code maxTexts} texts, when one more text would take its padded size (texts times
 * the longest one's tokens) over {@code maxTokens}, or when its most urgent text has waited its priority's wait. One
 * text is always taken, so a text longer than the budget still runs, alone.
 *
 * @param enabled     false runs every call in a forward pass of its own, at once, as DJL alone would
 * @param maxTexts    the most texts in one forward pass
 * @param maxTokens   the most padded tokens (texts times the longest text's tokens) in one forward pass
 * @param onlineWait  how long the first text of an online job waits for others to share its pass
 * @param offlineWait the same for offline jobs; longer, since their callers trade latency for throughput
 */
public record BatchOptions(boolean enabled, int maxTexts, int maxTokens, Duration onlineWait, Duration offlineWait) {

    /** Texts in one pass unless told otherwise; on two CPU cores passes of more than 16 to 32 gained nothing more. */
    public static final int DEFAULT_MAX_TEXTS = 32;
    /**
     * 32 texts of 128 tokens. A larger pass holds up the online texts that arrive while it runs: on two cores MiniLM
     * takes about half a second for this many.
     */
    public static final int DEFAULT_MAX_TOKENS = 4096;
    public static final Duration DEFAULT_ONLINE_WAIT = Duration.ofMillis(2);
    public static final Duration DEFAULT_OFFLINE_WAIT = Duration.ofMillis(10);

    private static final BatchOptions DISABLED = new BatchOptions(false, DEFAULT_MAX_TEXTS, DEFAULT_MAX_TOKENS,
            DEFAULT_ONLINE_WAIT, DEFAULT_OFFLINE_WAIT);

    public BatchOptions {
        Objects.requireNonNull(onlineWait, "onlineWait");
        Objects.requireNonNull(offlineWait, "offlineWait");
        if (maxTexts < 1) {
            throw new IllegalArgumentException("maxTexts must be at least 1: " + maxTexts);
        }
        if (maxTokens < 1) {
            throw new IllegalArgumentException("maxTokens must be at least 1: " + maxTokens);
        }
        if (onlineWait.isNegative() || offlineWait.isNegative()) {
            throw new IllegalArgumentException("waits must not be negative: online " + onlineWait + ", offline "
                    + offlineWait);
        }
    }

    /** Batching across callers with the default limits and waits. */
    public static BatchOptions defaults() {
        return new BatchOptions(true, DEFAULT_MAX_TEXTS, DEFAULT_MAX_TOKENS, DEFAULT_ONLINE_WAIT,
                DEFAULT_OFFLINE_WAIT);
    }

    /** Every call in its own forward pass. */
    public static BatchOptions disabled() {
        return DISABLED;
    }

    /** The wait of a text of the given priority. */
    Duration waitFor(Priority priority) {
        return priority == Priority.ONLINE ? onlineWait : offlineWait;
    }
}
