package dev.memorymodule.workers.cli;

import java.time.Clock;
import java.time.Instant;
import java.time.format.DateTimeParseException;

import org.apache.camel.util.TimeUtils;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/** {@code --since}: a time ago ({@code 30m}, {@code 2h}, {@code 7d}) or an instant ({@code 2026-05-01T10:00:00Z}). */
final class SinceOption {

    private SinceOption() {
    }

    /** As {@link #parse}, with a value that cannot be read reported as a usage error of the command. */
    static Instant parseOption(String value, CommandSpec spec) {
        try {
            return parse(value, Clock.systemUTC());
        } catch (IllegalArgumentException e) {
            throw new ParameterException(spec.commandLine(), e.getMessage());
        }
    }

    /** @return the instant meant, or null for null */
    static Instant parse(String value, Clock clock) {
        if (value == null) {
            return null;
        }
        String trimmed = value.trim();
        try {
            return Instant.parse(trimmed);
        } catch (DateTimeParseException e) {
            // not an instant: a duration back from now
        }
        // a bare number would be read as milliseconds, which no one means here
        if (!trimmed.matches("(\\d+[a-zA-Z]+)+")) {
            throw new IllegalArgumentException("--since takes a duration with its unit (30m, 2h, 7d) or an instant "
                    + "(2026-05-01T10:00:00Z), not '" + value + "'");
        }
        long millis;
        try {
            millis = TimeUtils.toMilliSeconds(trimmed);
        } catch (RuntimeException e) {
            throw new IllegalArgumentException("--since: cannot read '" + value + "' as a duration (30m, 2h, 7d)");
        }
        return clock.instant().minusMillis(millis);
    }
}
