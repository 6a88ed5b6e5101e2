package dev.memorymodule.workers.jetstream;

import java.time.Duration;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class NakBackoffTest {

    private static final Duration FIRST = Duration.ofMillis(300);
    private static final Duration SECOND = Duration.ofSeconds(1);
    private static final Duration LAST = Duration.ofSeconds(5);

    private final NakBackoff backoff = NakBackoff.parse("300ms,1s,5s");

    @Test
    void parsesStepsInCamelNotation() {
        assertThat(NakBackoff.parse("500ms, 5s ,1m,2m30s").steps()).containsExactly(Duration.ofMillis(500),
                Duration.ofSeconds(5), Duration.ofMinutes(1), Duration.ofSeconds(150));
    }

    @Test
    void aStepWithoutItsUnitIsRefusedNotReadAsMilliseconds() {
        assertThatThrownBy(() -> NakBackoff.parse("1s,250")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'1s,250'").hasMessageContaining("not '250'");
    }

    @Test
    void nthFailedDeliveryWaitsTheNthStep() {
        assertThat(backoff.delayFor(1)).isEqualTo(FIRST);
        assertThat(backoff.delayFor(2)).isEqualTo(SECOND);
        assertThat(backoff.delayFor(3)).isEqualTo(LAST);
    }

    @Test
    void deliveriesPastTheStepsWaitTheLastStep() {
        assertThat(backoff.delayFor(4)).isEqualTo(LAST);
        assertThat(backoff.delayFor(Long.MAX_VALUE)).isEqualTo(LAST);
    }

    @Test
    void countBelowOneWaitsTheFirstStep() {
        // JetStream counts deliveries from 1; a missing or odd count must still give a sane delay
        assertThat(backoff.delayFor(0)).isEqualTo(FIRST);
        assertThat(backoff.delayFor(-3)).isEqualTo(FIRST);
    }

    @Test
    void emptyPartsAreSkipped() {
        assertThat(NakBackoff.parse(",1s,, 2s,").steps()).containsExactly(Duration.ofSeconds(1), Duration.ofSeconds(2));
    }

    @Test
    void specWithoutAnyStepIsRejected() {
        assertThatThrownBy(() -> NakBackoff.parse("")).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> NakBackoff.parse(" , ,")).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void stepThatIsNotADurationIsRejectedByName() {
        assertThatThrownBy(() -> NakBackoff.parse("1s,soon"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'soon'")
                .hasMessageContaining("1s,soon");
    }

    @Test
    void stepsCannotBeChangedFromOutside() {
        assertThatThrownBy(() -> backoff.steps().add(Duration.ZERO)).isInstanceOf(UnsupportedOperationException.class);
    }
}
