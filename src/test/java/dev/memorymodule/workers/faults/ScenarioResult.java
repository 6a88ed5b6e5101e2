package dev.memorymodule.workers.faults;

import java.time.Duration;
import java.util.List;
import java.util.Map;

/**
 * Everything one scenario measured and whether each check held.
 *
 * @param name        scenario name
 * @param fault       what the fault was
 * @param elapsed     from the first job published to the last outcome stored; zero when the run broke off
 * @param load        job messages planned, by kind
 * @param published   job messages the server stored
 * @param retries     publishes tried again after a failure
 * @param events      what the events stream says about each job message
 * @param stores      each store against the memories of the jobs that completed
 * @param deadLetters messages in MM_DLQ
 * @param redeliveries deliveries beyond the first, over all work streams
 * @param maxAttempts the most deliveries one job needed, by its event
 * @param ledger      idempotency claims by status
 * @param recoveries  per fault, how soon work came back
 * @param drain       from the end of the last fault to the last outcome
 * @param notes       the scenario's own figures
 * @param checks      every check, the general ones first
 */
record ScenarioResult(String name, String fault, Duration elapsed, Map<String, Integer> load, int published,
                      long retries, EventFigures events, List<StoreFigure> stores, long deadLetters,
                      long redeliveries, long maxAttempts, Map<String, Long> ledger, List<Recovery> recoveries,
                      Duration drain, Map<String, String> notes, List<Check> checks) {

    /** Terminal events against job messages. */
    record EventFigures(int missing, int doubled, Map<String, Integer> outcomes, int unexpected,
                        List<String> unexpectedExamples, int keysCompletedTwice) {
    }

    /** One store: memories expected (of completed jobs), found, and how they differ. */
    record StoreFigure(String store, int expected, int found, int lost, int extra, int partial, int doubled) {
    }

    /**
     * How one fault ended.
     *
     * @param window               the fault
     * @param firstCompletionAfter from the fault's end to the next job completed; null when none came after
     * @param redeliveredDone      from the fault's end to the last job completed on a later delivery before the
     *                             next fault (negative when that was before the end); null when no job needed one
     */
    record Recovery(FaultWindow window, Duration firstCompletionAfter, Duration redeliveredDone) {
    }

    /** A scenario that could not run to its end: no figures, one failed check saying why. */
    static ScenarioResult broken(String name, String fault, Exception cause) {
        String why = cause.getClass().getSimpleName() + ": " + cause.getMessage();
        return new ScenarioResult(name, fault, Duration.ZERO, Map.of(), 0, 0,
                new EventFigures(0, 0, Map.of(), 0, List.of(), 0), List.of(), 0, 0, 0, Map.of(), List.of(), null,
                Map.of(), List.of(new Check("scenario ran to its end", false, why)));
    }

    boolean passed() {
        return checks.stream().allMatch(Check::passed);
    }

    /** Job messages without their one outcome, and memories missing from a store. */
    int lost() {
        return events.missing() + stores.stream().mapToInt(StoreFigure::lost).sum();
    }

    /** Job messages with two outcomes, keys run to completion twice, memories stored twice. */
    int doubled() {
        return events.doubled() + events.keysCompletedTwice() + stores.stream().mapToInt(StoreFigure::doubled).sum();
    }
}
