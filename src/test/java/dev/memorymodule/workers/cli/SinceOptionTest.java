package dev.memorymodule.workers.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

/** {@code --since}: a time that long before now, or an instant. */
class SinceOptionTest {

    private static final Instant NOW = Instant.parse("2026-06-01T12:00:00Z");
    private static final Clock CLOCK = Clock.fixed(NOW, ZoneOffset.UTC);

    @Test
    void sinceIsThatLongBeforeNowOrAnInstant() {
        assertThat(SinceOption.parse("2w", CLOCK)).isEqualTo(NOW.minus(Duration.ofDays(14)));
        assertThat(SinceOption.parse("400d", CLOCK)).isEqualTo(NOW.minus(Duration.ofDays(400)));
        assertThat(SinceOption.parse("2026-05-01T10:00:00Z", CLOCK)).isEqualTo(Instant.parse("2026-05-01T10:00:00Z"));
        assertThat(SinceOption.parse(null, CLOCK)).isNull();
        assertThatThrownBy(() -> SinceOption.parse("10y", CLOCK)).hasMessageContaining("365d");
        assertThatThrownBy(() -> SinceOption.parse("abc", CLOCK)).hasMessageContaining("an instant");
    }

    @Test
    void aDurationReachingBeforeAnyTimeIsRefused() {
        assertThatThrownBy(() -> SinceOption.parse("9999999999999d", CLOCK))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("before any time");
    }
}
