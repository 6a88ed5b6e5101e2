package dev.memorymodule.workers.faults;

import java.time.Duration;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * A slow store: for a while PostgreSQL answers late, so jobs take longer than the ack wait (set short here, 4 s).
 * The consumer's in-progress signals must keep each job with the worker that holds it: no redelivery, no second
 * run, every held job done on its first delivery. The workers wait longer for a database connection than they do
 * by default, as one would configure for a database known to be slow; a slow database otherwise fails jobs fast.
 */
final class SlowStoreScenario implements FaultScenario {

    private static final double SLOW_AT = 0.25;
    private static final String ACK_WAIT = "4s";
    private static final String CONNECTION_TIMEOUT = "30s";
    /**
     * Each way, so every round trip to the database takes 4 s, as long as the ack wait, and a job makes three or
     * more; under Hikari's 5 s validation timeout, so the pool's connections stay valid.
     */
    private static final Duration LATENCY = Duration.ofSeconds(2);

    @Override
    public String name() {
        return "slow-store";
    }

    @Override
    public String fault() {
        return "PostgreSQL answers " + LATENCY.toMillis() + " ms late each way from 25% of the load; ack wait "
                + ACK_WAIT;
    }

    @Override
    public void configure(WorkerSettings settings) {
        settings.set("mm.consumer.ack-wait", ACK_WAIT).set("mm.db.connection-timeout", CONNECTION_TIMEOUT);
    }

    @Override
    public void inject(FaultRun run) throws Exception {
        run.awaitProgress(SLOW_AT);
        run.faultStarts("PostgreSQL slowed for " + FaultSuite.seconds(run.options().outage()));
        run.rig().postgresProxy().slow(LATENCY);
        run.holdFault();
        run.rig().postgresProxy().restore();
        run.faultEnds();
    }

    @Override
    public void verify(FaultRun run, Drained drained) {
        long ackWaitMs = run.settings().duration("mm.consumer.ack-wait").toMillis();
        long held = 0;
        long heldAgain = 0;
        long longest = 0;
        long redeliveredOther = 0;
        long counted = 0;
        for (JsonNode event : drained.outcomes().all()) {
            long runMs = event.path("timings").path("run_ms").asLong();
            long attempts = event.path("attempts").asLong();
            counted += attempts - 1;
            if (runMs > ackWaitMs) {
                held++;
                longest = Math.max(longest, runMs);
                heldAgain += attempts > 1 ? 1 : 0;
            }
            // a job whose key another job holds is given back on purpose, until that job is done
            if (attempts > 1 && !"duplicate".equals(event.path("event").asText())) {
                redeliveredOther++;
            }
        }
        run.note("jobs that ran longer than the ack wait", held + " (longest " + longest + " ms, ack wait "
                + ackWaitMs + " ms)");
        run.check("jobs outlived the ack wait", held > 0, held + " jobs ran longer than " + ackWaitMs + " ms");
        run.check("each of them finished on its first delivery", heldAgain == 0, heldAgain + " needed more");
        run.check("only duplicates waiting for their key's first job were delivered again", redeliveredOther == 0,
                redeliveredOther + " other jobs");
        run.check("every redelivery shows in an event's attempts", counted == drained.redeliveries(),
                drained.redeliveries() + " redeliveries by the server, " + counted + " by the events");
    }
}
