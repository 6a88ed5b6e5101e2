package dev.memorymodule.workers.jetstream;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

import org.apache.camel.util.TimeUtils;

/**
 * The delay before JetStream redelivers a message that failed transiently, chosen by its delivery count: the
 * n-th failed delivery waits the n-th step, and every later one the last step.
 */
public final class NakBackoff {

    private final List<Duration> steps;

    private NakBackoff(List<Duration> steps) {
        if (steps.isEmpty()) {
            throw new IllegalArgumentException("a backoff needs at least one step");
        }
        this.steps = List.copyOf(steps);
    }

    /**
     * Parses a comma-separated list of durations in Camel's notation ({@code 500ms}, {@code 5s}, {@code 1m}).
     */
    public static NakBackoff parse(String spec) {
        List<Duration> steps = new ArrayList<>();
        for (String part : spec.split(",")) {
            String trimmed = part.trim();
            if (!trimmed.isEmpty()) {
                steps.add(step(trimmed, spec));
            }
        }
        return new NakBackoff(steps);
    }

    private static Duration step(String text, String spec) {
        try {
            return Duration.ofMillis(TimeUtils.toMilliSeconds(text));
        } catch (RuntimeException e) {
            // Camel's parser fails on a typo with an index or number error that names neither option nor value
            throw new IllegalArgumentException("nak backoff step '" + text + "' of '" + spec
                    + "' is not a duration such as 500ms, 5s or 1m", e);
        }
    }

    public Duration delayFor(long deliveryCount) {
        int index = (int) Math.max(0, Math.min(deliveryCount - 1, steps.size() - 1));
        return steps.get(index);
    }

    public List<Duration> steps() {
        return steps;
    }
}
