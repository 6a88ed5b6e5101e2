package dev.memorymodule.workers.faults;

import java.nio.file.Path;
import java.time.Duration;

/**
 * How a fault run is sized.
 *
 * @param jobs          job messages per scenario
 * @param jobsPerSecond the rate they are published at
 * @param outage        how long an outage, error storm or slow spell lasts
 * @param seed          seed of the job mix
 * @param workDir       where worker logs go, one folder per scenario
 */
record SuiteOptions(int jobs, int jobsPerSecond, Duration outage, long seed, Path workDir) {

    static final int DEFAULT_JOBS = 5_000;
    static final int DEFAULT_RATE = 50;
    static final Duration DEFAULT_OUTAGE = Duration.ofSeconds(30);
    static final long DEFAULT_SEED = 20_260_601L;

    SuiteOptions {
        if (jobs < 20 || jobsPerSecond < 1 || outage.isNegative() || outage.isZero()) {
            throw new IllegalArgumentException("need at least 20 jobs, a positive rate and a positive outage");
        }
    }
}
