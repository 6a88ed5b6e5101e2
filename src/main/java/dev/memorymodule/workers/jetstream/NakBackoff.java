package dev.memorymodule.workers.jetstream;

import dev.memorymodule.workers.config.DurationText;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;


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
        // a step without its unit would be read as milliseconds by Camel's parser, and an unknown unit as 0
        return DurationText.parse("nak backoff step of '" + spec + "'", text);
    }

    public Duration delayFor(long deliveryCount) {
        int index = (int) Math.max(0, Math.min(deliveryCount - 1, steps.size() - 1));
        return steps.get(index);
    }

    public List<Duration> steps() {
        return steps;
    }
}
