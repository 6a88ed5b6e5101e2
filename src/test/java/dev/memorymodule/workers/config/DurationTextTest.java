package dev.memorymodule.workers.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;

import org.junit.jupiter.api.Test;

/**
 * Durations in the configuration and on the command line: every unit read is read exactly, and a value with no
 * unit or one not known is refused instead of turning into 0 or milliseconds.
 */
class DurationTextTest {

    @Test
    void readsEachUnitAndTheirSums() {
        assertThat(DurationText.parse("--wait", "500ms")).isEqualTo(Duration.ofMillis(500));
        assertThat(DurationText.parse("--wait", "30s")).isEqualTo(Duration.ofSeconds(30));
        assertThat(DurationText.parse("--wait", "2m")).isEqualTo(Duration.ofMinutes(2));
        assertThat(DurationText.parse("--wait", "1h30m")).isEqualTo(Duration.ofMinutes(90));
        assertThat(DurationText.parse("--wait", " 7d ")).isEqualTo(Duration.ofDays(7));
        assertThat(DurationText.parse("--wait", "2w")).isEqualTo(Duration.ofDays(14));
    }

    @Test
    void refusesAValueWithoutAUnit() {
        assertThatThrownBy(() -> DurationText.parse("--wait", "5")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("--wait takes a duration with its unit").hasMessageContaining("'5'");
        assertThatThrownBy(() -> DurationText.parse("--wait", "abc")).hasMessageContaining("'abc'");
        assertThatThrownBy(() -> DurationText.parse("--wait", "")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void refusesAUnitItDoesNotKnow() {
        assertThatThrownBy(() -> DurationText.parse("--since", "2x")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("unknown unit 'x' in '2x'").hasMessageContaining(DurationText.UNITS);
        // H is not guessed to be h: M would then have to be guessed too
        assertThatThrownBy(() -> DurationText.parse("--since", "2H")).hasMessageContaining("unknown unit 'H'");
        assertThatThrownBy(() -> DurationText.parse("--since", "1h2q")).hasMessageContaining("unknown unit 'q'");
    }

    @Test
    void yearsAndMonthsAreRefusedWithAHintToUseDays() {
        assertThatThrownBy(() -> DurationText.parse("--since", "10y")).hasMessageContaining("unknown unit 'y'")
                .hasMessageContaining("give days instead, e.g. 365d");
        assertThatThrownBy(() -> DurationText.parse("--since", "3mo")).hasMessageContaining("e.g. 365d");
    }

    @Test
    void aDurationTooLongForAnyClockIsRefusedNotWrapped() {
        assertThatThrownBy(() -> DurationText.parse("--since", "99999999999999999999d"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("longer than");
    }
}
