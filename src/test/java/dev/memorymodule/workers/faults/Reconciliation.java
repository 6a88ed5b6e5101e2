package dev.memorymodule.workers.faults;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

import com.fasterxml.jackson.databind.JsonNode;
import dev.memorymodule.workers.faults.PlannedJob.Kind;
import dev.memorymodule.workers.faults.PlannedJob.Store;
import dev.memorymodule.workers.faults.ScenarioResult.EventFigures;
import dev.memorymodule.workers.faults.ScenarioResult.Recovery;
import dev.memorymodule.workers.faults.ScenarioResult.StoreFigure;

/**
 * Holds a drained run against its plan. What each job message must end in is known before it is published: an
 * invalid job is dead-lettered, one past its deadline expires, and of the job messages that share an idempotency
 * key (a job and its duplicates) exactly one completes and every other is a duplicate of that one, whichever ran
 * first. Each store must then hold exactly the memories of the keys that completed, each once.
 */
final class Reconciliation {

    private static final int EXAMPLES = 8;

    private final List<PlannedJob> plan;
    private final LoadPublisher publisher;
    private final Drained drained;
    private final List<String> unexpected = new ArrayList<>();
    private final Map<String, Integer> outcomes = new TreeMap<>();
    private int missing;
    private int doubled;
    private int keysCompletedTwice;
    private int completedKeys;
    /** The job that completed each key, for the stores. */
    private final Map<String, PlannedJob> completedBy = new HashMap<>();

    private Reconciliation(List<PlannedJob> plan, LoadPublisher publisher, Drained drained) {
        this.plan = plan;
        this.publisher = publisher;
        this.drained = drained;
    }

    /** Figures and general checks of a drained run; the scenario's own notes and checks are appended. */
    static ScenarioResult reconcile(FaultScenario scenario, FaultRun run, List<PlannedJob> plan,
                                    LoadPublisher publisher, Drained drained, StoreSnapshot stores,
                                    Instant loadStarted) {
        Reconciliation reconciliation = new Reconciliation(plan, publisher, drained);
        return reconciliation.result(scenario, run, stores, loadStarted);
    }

    private ScenarioResult result(FaultScenario scenario, FaultRun run, StoreSnapshot snapshot, Instant started) {
        countEvents();
        judgeOutcomes();
        List<StoreFigure> stores = List.of(
                store("PostgreSQL rows", Store.ROWS, snapshot.rows()),
                store(snapshot.vectorStore() + " vector points", Store.VECTORS, snapshot.vectors()),
                store("Neo4j memory nodes", Store.GRAPH, snapshot.nodes()));
        long maxAttempts = drained.outcomes().all().stream().mapToLong(e -> e.path("attempts").asLong()).max()
                .orElse(0);
        long expectedLetters = outcomes.getOrDefault("dead_lettered", 0) + outcomes.getOrDefault("failed", 0);
        long invalid = plan.stream().filter(job -> job.kind() == Kind.INVALID).count();
        EventFigures events = new EventFigures(missing, doubled, outcomes, unexpected.size(),
                unexpected.subList(0, Math.min(EXAMPLES, unexpected.size())), keysCompletedTwice);

        List<Check> checks = new ArrayList<>();
        checks.add(new Check("every job message was published", publisher.published() == plan.size(),
                publisher.published() + " of " + plan.size()));
        checks.add(new Check("exactly one terminal event per job message", missing == 0 && doubled == 0,
                missing + " without one, " + doubled + " with more than one"));
        checks.add(new Check("every job ended as it must", unexpected.isEmpty(),
                unexpected.size() + " did not" + (unexpected.isEmpty() ? "" : ": " + events.unexpectedExamples())));
        checks.add(new Check("no idempotency key completed twice", keysCompletedTwice == 0,
                keysCompletedTwice + " keys"));
        for (StoreFigure store : stores) {
            checks.add(new Check(store.store() + " hold exactly the memories of the completed jobs",
                    store.lost() == 0 && store.extra() == 0 && store.doubled() == 0,
                    store.expected() + " expected, " + store.found() + " found: " + store.lost() + " lost, "
                            + store.extra() + " extra (" + store.partial() + " of jobs that did not complete), "
                            + store.doubled() + " doubled"));
        }
        checks.add(new Check("one dead letter per job dead-lettered or failed, and only invalid jobs among them",
                snapshot.deadLetters() == expectedLetters && expectedLetters == invalid,
                snapshot.deadLetters() + " in MM_DLQ, " + expectedLetters + " such outcomes, " + invalid
                        + " invalid jobs published"));
        long running = snapshot.ledger().getOrDefault("running", 0L);
        long completed = snapshot.ledger().getOrDefault("completed", 0L);
        checks.add(new Check("the ledger marks each completed key completed and holds no stale claim",
                running == 0 && completed == completedKeys,
                completed + " completed (" + completedKeys + " keys completed), " + running + " running"));
        checks.addAll(run.checks());

        return new ScenarioResult(scenario.name(), scenario.fault(), Duration.between(started, drained.lastOutcome()),
                loadByKind(), publisher.published(), publisher.retries(), events, stores, snapshot.deadLetters(),
                drained.redeliveries(), maxAttempts, snapshot.ledger(), recoveries(run.windows()),
                drain(run.windows()), run.notes(), checks);
    }

    private void countEvents() {
        for (PlannedJob job : plan) {
            int count = drained.outcomes().of(publisher.identity(job)).size();
            if (count == 0) {
                missing++;
            } else if (count > 1) {
                doubled++;
            }
        }
    }

    private void judgeOutcomes() {
        Map<String, List<PlannedJob>> byKey = new LinkedHashMap<>();
        for (PlannedJob job : plan) {
            String outcome = outcome(job);
            outcomes.merge(outcome, 1, Integer::sum);
            switch (job.kind()) {
                case INVALID -> expect(job, outcome, "dead_lettered");
                case EXPIRED -> expect(job, outcome, "expired");
                default -> byKey.computeIfAbsent(job.idempotencyKey(), key -> new ArrayList<>()).add(job);
            }
        }
        byKey.values().forEach(this::judgeKey);
    }

    /** Of the job messages of one key, one completes and the others are its duplicates. */
    private void judgeKey(List<PlannedJob> jobs) {
        List<PlannedJob> completed = jobs.stream().filter(job -> "completed".equals(outcome(job))).toList();
        if (completed.isEmpty()) {
            jobs.forEach(job -> unexpected.add(describe(job, "no job of its key completed")));
            return;
        }
        completedKeys++;
        completedBy.put(completed.get(0).idempotencyKey(), completed.get(0));
        if (completed.size() > 1) {
            keysCompletedTwice++;
            completed.subList(1, completed.size()).forEach(job -> unexpected.add(describe(job,
                    "completed again after " + completed.get(0).jobId())));
        }
        for (PlannedJob job : jobs) {
            String outcome = outcome(job);
            if ("completed".equals(outcome)) {
                continue;
            }
            String duplicateOf = event(job) == null ? null : event(job).path("duplicate_of").asText(null);
            if (!"duplicate".equals(outcome) || !completed.get(0).jobId().equals(duplicateOf)) {
                unexpected.add(describe(job, "expected a duplicate of " + completed.get(0).jobId()));
            }
        }
    }

    private void expect(PlannedJob job, String outcome, String expected) {
        if (!expected.equals(outcome)) {
            unexpected.add(describe(job, "expected " + expected));
        }
    }

    private StoreFigure store(String name, Store store, List<String> found) {
        Set<String> expected = new HashSet<>();
        completedBy.values().stream().filter(job -> job.writes(store)).forEach(job -> expected.addAll(job.memoryIds()));
        Set<String> planned = new HashSet<>();
        plan.stream().filter(PlannedJob::runs).filter(job -> job.writes(store))
                .forEach(job -> planned.addAll(job.memoryIds()));
        Set<String> distinct = new HashSet<>(found);
        int lost = (int) expected.stream().filter(id -> !distinct.contains(id)).count();
        int extra = (int) distinct.stream().filter(id -> !expected.contains(id)).count();
        int partial = (int) distinct.stream().filter(id -> !expected.contains(id) && planned.contains(id)).count();
        return new StoreFigure(name, expected.size(), found.size(), lost, extra, partial,
                found.size() - distinct.size());
    }

    private List<Recovery> recoveries(List<FaultWindow> windows) {
        List<Recovery> recoveries = new ArrayList<>();
        for (int i = 0; i < windows.size(); i++) {
            FaultWindow window = windows.get(i);
            Instant until = i + 1 < windows.size() ? windows.get(i + 1).start() : Instant.MAX;
            Instant firstAfter = null;
            Instant lastRedelivered = null;
            for (JsonNode event : drained.outcomes().all()) {
                if (!"completed".equals(event.path("event").asText())) {
                    continue;
                }
                Instant finished = Outcomes.finishedAt(event);
                if (!finished.isBefore(window.end()) && (firstAfter == null || finished.isBefore(firstAfter))) {
                    firstAfter = finished;
                }
                boolean redelivered = event.path("attempts").asLong() > 1;
                if (redelivered && finished.isAfter(window.start()) && finished.isBefore(until)
                        && (lastRedelivered == null || finished.isAfter(lastRedelivered))) {
                    lastRedelivered = finished;
                }
            }
            recoveries.add(new Recovery(window, firstAfter == null ? null : Duration.between(window.end(), firstAfter),
                    lastRedelivered == null ? null : Duration.between(window.end(), lastRedelivered)));
        }
        return recoveries;
    }

    private Duration drain(List<FaultWindow> windows) {
        if (windows.isEmpty()) {
            return null;
        }
        Duration drain = Duration.between(windows.get(windows.size() - 1).end(), drained.lastOutcome());
        return drain.isNegative() ? Duration.ZERO : drain;
    }

    private Map<String, Integer> loadByKind() {
        Map<String, Integer> kinds = new LinkedHashMap<>();
        for (Kind kind : Kind.values()) {
            kinds.put(kind.name().toLowerCase(), (int) plan.stream().filter(job -> job.kind() == kind).count());
        }
        return kinds;
    }

    /** The job message's single outcome; "none" without one, "several" with more. */
    private String outcome(PlannedJob job) {
        List<JsonNode> events = drained.outcomes().of(publisher.identity(job));
        return events.isEmpty() ? "none" : events.size() > 1 ? "several" : events.get(0).path("event").asText();
    }

    private JsonNode event(PlannedJob job) {
        List<JsonNode> events = drained.outcomes().of(publisher.identity(job));
        return events.size() == 1 ? events.get(0) : null;
    }

    private String describe(PlannedJob job, String expectation) {
        JsonNode event = event(job);
        String reason = event == null ? "" : event.path("reason").asText("");
        return "#" + job.index() + " " + job.kind().name().toLowerCase() + " " + job.type() + " " + job.jobId()
                + ": " + outcome(job) + ", " + expectation + (reason.isEmpty() ? "" : " (" + reason + ")");
    }
}
