package dev.memorymodule.workers.faults;

import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.fasterxml.jackson.databind.JsonNode;
import dev.memorymodule.workers.testsupport.Neo4jServer;
import io.nats.client.JetStreamManagement;
import org.neo4j.driver.Driver;

/**
 * Runs one scenario from start to verdict: fresh NATS server and database, the graph emptied, two workers, the
 * load published at its rate while the scenario injects its fault, then the wait until every job message has left
 * the work streams, then the reconciliation of events and stores against the plan.
 */
final class ScenarioRunner {

    private static final int WORKERS = 2;
    private static final Duration FAULT_TIMEOUT = Duration.ofMinutes(20);
    private static final Duration DRAIN_TIMEOUT = Duration.ofMinutes(15);
    private static final Duration POLL = Duration.ofSeconds(1);
    /** Empty work streams twice in a row, this far apart, before the run counts as drained. */
    private static final Duration SETTLE = Duration.ofSeconds(2);

    private final SuiteOptions options;
    private final Neo4jServer neo4j;
    private final Driver driver;

    ScenarioRunner(SuiteOptions options, Neo4jServer neo4j, Driver driver) {
        this.options = options;
        this.neo4j = neo4j;
        this.driver = driver;
    }

    ScenarioResult run(FaultScenario scenario) {
        try {
            StoreAudit.clearGraph(driver);
            List<PlannedJob> plan = JobMix.plan(options.jobs(), options.seed());
            try (FaultRig rig = FaultRig.start(neo4j, scenario.usesQdrant())) {
                return run(scenario, rig, plan);
            }
        } catch (Exception e) {
            return ScenarioResult.broken(scenario.name(), scenario.fault(), e);
        }
    }

    private ScenarioResult run(FaultScenario scenario, FaultRig rig, List<PlannedJob> plan) throws Exception {
        WorkerSettings settings = new WorkerSettings();
        rig.pointAtServers(settings);
        scenario.configure(settings);
        Path logs = options.workDir().resolve("logs").resolve(scenario.name());
        rig.startFleet(settings, "fault-" + scenario.name(), WORKERS, logs);

        ExecutorService injector = Executors.newSingleThreadExecutor();
        try (ProgressWatch progress = new ProgressWatch(rig.connection(), settings.get("mm.events.subject-prefix"));
             LoadPublisher publisher = new LoadPublisher(rig.connection(), plan, options.jobsPerSecond())) {
            FaultRun run = new FaultRun(rig, settings, options, progress, plan.size());
            Instant loadStarted = Instant.now();
            publisher.start();
            Future<?> fault = injector.submit(() -> {
                scenario.inject(run);
                return null;
            });
            publisher.await(FAULT_TIMEOUT);
            awaitFault(fault);

            boolean inTime = drain(rig, settings);
            run.check("the load drained within " + FaultSuite.seconds(DRAIN_TIMEOUT), inTime,
                    inTime ? "drained" : "job messages still in the work streams");
            Drained drained = drained(rig, settings);
            scenario.verify(run, drained);
            StoreSnapshot snapshot = snapshot(rig, settings);
            return Reconciliation.reconcile(scenario, run, plan, publisher, drained, snapshot, loadStarted);
        } finally {
            injector.shutdownNow();
        }
    }

    private static void awaitFault(Future<?> fault) throws Exception {
        try {
            fault.get(FAULT_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof Exception cause ? cause : e;
        }
    }

    /** Waits until no job message is left in a work stream: each was acked or terminated after its outcome. */
    private static boolean drain(FaultRig rig, WorkerSettings settings) throws Exception {
        WorkStreams streams = new WorkStreams(settings);
        long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
        int emptyReadings = 0;
        while (System.nanoTime() < deadline) {
            JetStreamManagement management = rig.connection().jetStreamManagement();
            emptyReadings = streams.messagesLeft(management) == 0 ? emptyReadings + 1 : 0;
            if (emptyReadings == 2) {
                return true;
            }
            Thread.sleep(emptyReadings == 1 ? SETTLE.toMillis() : POLL.toMillis());
        }
        return false;
    }

    private static Drained drained(FaultRig rig, WorkerSettings settings) throws Exception {
        Outcomes outcomes = Outcomes.read(rig.connection(), settings.get("mm.streams.events.name"),
                settings.get("mm.events.subject-prefix"));
        Instant last = Instant.EPOCH;
        for (JsonNode event : outcomes.all()) {
            Instant finished = Outcomes.finishedAt(event);
            last = finished.isAfter(last) ? finished : last;
        }
        long redeliveries = new WorkStreams(settings).redeliveries(rig.connection().jetStreamManagement());
        return new Drained(outcomes, redeliveries, last);
    }

    private StoreSnapshot snapshot(FaultRig rig, WorkerSettings settings) throws Exception {
        long deadLetters = rig.connection().jetStreamManagement()
                .getStreamInfo(settings.get("mm.streams.dlq.name")).getStreamState().getMsgCount();
        List<String> vectors = settings.onQdrant() ? StoreAudit.qdrantVectors(rig.qdrant())
                : StoreAudit.neo4jVectors(driver);
        return new StoreSnapshot(StoreAudit.rows(rig.database()), settings.onQdrant() ? "Qdrant" : "Neo4j", vectors,
                StoreAudit.memoryNodes(driver), deadLetters, StoreAudit.ledger(rig.database()));
    }
}
