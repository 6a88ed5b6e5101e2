package dev.memorymodule.workers.config;

import java.time.Duration;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Durations as an operator types them, in the configuration or on the command line: one or more amounts with a unit each ({@code 30s},
 * {@code 2h}, {@code 1h30m}, {@code 7d}, {@code 2w}). Camel's own reader answers 0 for a unit it does not know and
 * milliseconds for a bare number, and either silently turned an option into something no one meant; here both are
 * refused.
 */
public final class DurationText {

    /** The units read, in the case they are written: {@code M} or {@code H} would be a guess. */
    public static final String UNITS = "ms, s, m, h, d, w";

    private static final Map<String, Duration> UNIT = Map.of(
            "ms", Duration.ofMillis(1),
            "s", Duration.ofSeconds(1),
            "m", Duration.ofMinutes(1),
            "h", Duration.ofHours(1),
            "d", Duration.ofDays(1),
            "w", Duration.ofDays(7));
    private static final Pattern WHOLE = Pattern.compile("(\\d+[a-zA-Z]+)+");
    private static final Pattern PART = Pattern.compile("(\\d+)([a-zA-Z]+)");

    private DurationText() {
    }

    /**
     * @param option the option's name, for the message
     * @throws IllegalArgumentException naming the option and the value when it is not a duration with its units
     */
    public static Duration parse(String option, String value) {
        String trimmed = value == null ? "" : value.trim();
        if (!WHOLE.matcher(trimmed).matches()) {
            throw new IllegalArgumentException(option + " takes a duration with its unit (30s, 2h, 7d), not '"
                    + value + "'");
        }
        Duration total = Duration.ZERO;
        Matcher part = PART.matcher(trimmed);
        while (part.find()) {
            String unit = part.group(2);
            Duration one = UNIT.get(unit);
            if (one == null) {
                throw new IllegalArgumentException(option + ": unknown unit '" + unit + "' in '" + value + "' (units: "
                        + UNITS + ")" + hint(unit));
            }
            try {
                total = total.plus(one.multipliedBy(Long.parseLong(part.group(1))));
            } catch (ArithmeticException | NumberFormatException e) {
                throw new IllegalArgumentException(option + ": '" + value + "' is longer than any duration read here");
            }
        }
        return total;
    }

    // months and years have no fixed length; a count of days says exactly how far back
    private static String hint(String unit) {
        String lower = unit.toLowerCase(Locale.ROOT);
        if (lower.startsWith("y") || lower.equals("mo") || lower.equals("mon") || unit.equals("M")) {
            return "; months and years vary in length, give days instead, e.g. 365d";
        }
        return "";
    }
}
