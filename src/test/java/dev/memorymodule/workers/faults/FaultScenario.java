package dev.memorymodule.workers.faults;

/**
 * One fault the suite injects while a load runs. The runner starts the servers and two workers, publishes the
 * load and, in parallel, calls {@link #inject}; once the load has drained it reconciles everything and calls
 * {@link #verify} for the checks only this fault needs.
 */
interface FaultScenario {

    /** The name on the command line and in the report. */
    String name();

    /** What the fault is, in one line. */
    String fault();

    /** True when the workers keep their vectors in Qdrant (the test double) instead of Neo4j. */
    default boolean usesQdrant() {
        return false;
    }

    /** Worker configuration this fault needs on top of application.properties; most need none. */
    default void configure(WorkerSettings settings) {
    }

    /** Waits for its moment in the load, injects the fault, records it, and returns once it is over. */
    void inject(FaultRun run) throws Exception;

    /** Checks of this fault's own, on the drained run. */
    default void verify(FaultRun run, Drained drained) throws Exception {
    }
}
