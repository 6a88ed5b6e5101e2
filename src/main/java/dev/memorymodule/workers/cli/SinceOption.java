package dev.memorymodule.workers.cli;

import dev.memorymodule.workers.config.DurationText;
import java.time.Clock;
import java.time.DateTimeException;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;

import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;

/**
 * {@code --since}: a time ago ({@code 30m}, {@code 2h}, {@code 7d}, {@code 2w}) or an instant
 * ({@code 2026-05-01T10:00:00Z}).
 */
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
        Duration ago;
        try {
            ago = DurationText.parse("--since", trimmed);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(e.getMessage() + "; or an instant (2026-05-01T10:00:00Z)");
        }
        try {
            return clock.instant().minus(ago);
        } catch (DateTimeException e) {
            throw new IllegalArgumentException("--since: '" + value + "' reaches back before any time there is");
        }
    }
}
