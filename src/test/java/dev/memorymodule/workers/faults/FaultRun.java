package dev.memorymodule.workers.faults;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * What a scenario works with while the load runs: the servers and workers, how far the load has come, and where
 * it records its faults, its own figures and its own checks.
 */
final class FaultRun {

    private static final Duration PROGRESS_TIMEOUT = Duration.ofMinutes(15);
    private static final Duration POLL = Duration.ofMillis(200);

    private final FaultRig rig;
    private final WorkerSettings settings;
    private final SuiteOptions options;
    private final ProgressWatch progress;
    private final int jobs;
    private final List<FaultWindow> windows = new ArrayList<>();
    private final Map<String, String> notes = new LinkedHashMap<>();
    private final List<Check> checks = new ArrayList<>();
    private String openFault;
    private Instant openedAt;

    FaultRun(FaultRig rig, WorkerSettings settings, SuiteOptions options, ProgressWatch progress, int jobs) {
        this.rig = rig;
        this.settings = settings;
        this.options = options;
        this.progress = progress;
        this.jobs = jobs;
    }

    FaultRig rig() {
        return rig;
    }

    WorkerFleet fleet() {
        return rig.fleet();
    }

    WorkerSettings settings() {
        return settings;
    }

    SuiteOptions options() {
        return options;
    }

    /** Waits until this share of the load's job messages has an outcome, so a fault lands mid-load. */
    void awaitProgress(double share) throws InterruptedException {
        int wanted = (int) Math.ceil(share * jobs);
        long deadline = System.nanoTime() + PROGRESS_TIMEOUT.toNanos();
        while (progress.answered() < wanted) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("only " + progress.answered() + " of " + jobs + " jobs had an "
                        + "outcome after " + PROGRESS_TIMEOUT + "; waited for " + wanted);
            }
            Thread.sleep(POLL.toMillis());
        }
    }

    /** The fault begins now. */
    synchronized void faultStarts(String what) {
        if (openFault != null) {
            throw new IllegalStateException("fault '" + openFault + "' has not ended");
        }
        openFault = what;
        openedAt = Instant.now();
    }

    /** The fault that began last is over now. */
    synchronized void faultEnds() {
        if (openFault == null) {
            throw new IllegalStateException("no fault has begun");
        }
        windows.add(new FaultWindow(openFault, openedAt, Instant.now()));
        openFault = null;
    }

    /** Holds a fault for the suite's outage length. */
    void holdFault() throws InterruptedException {
        Thread.sleep(options.outage().toMillis());
    }

    synchronized void note(String figure, Object value) {
        notes.put(figure, String.valueOf(value));
    }

    synchronized void check(String name, boolean passed, String detail) {
        checks.add(new Check(name, passed, detail));
    }

    synchronized List<FaultWindow> windows() {
        return List.copyOf(windows);
    }

    synchronized Map<String, String> notes() {
        return new LinkedHashMap<>(notes);
    }

    synchronized List<Check> checks() {
        return List.copyOf(checks);
    }
}
