package dev.memorymodule.workers.faults;

import java.time.Duration;
import java.time.Instant;

/**
 * One fault of a scenario, from when it was injected to when it ended (the store back, the server up, the
 * replacement worker started).
 */
record FaultWindow(String what, Instant start, Instant end) {

    Duration length() {
        return Duration.between(start, end);
    }
}
