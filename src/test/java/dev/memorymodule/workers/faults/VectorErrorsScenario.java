package dev.memorymodule.workers.faults;

import io.grpc.Status;

/**
 * An error storm from the vector store: the workers keep their vectors in Qdrant (here the Qdrant test double, as
 * no Qdrant server can be installed on the build machines), and for a while half of all Qdrant calls fail with
 * UNAVAILABLE, half of those after the write took effect. Both write paths meet it: qdrant_upsert through
 * camel-qdrant, index and summarize through the Qdrant client, and retrieve's searches too.
 */
final class VectorErrorsScenario implements FaultScenario {

    private static final double STORM_AT = 0.25;
    private static final double FAILING_SHARE = 0.5;

    private long failedCalls;

    @Override
    public String name() {
        return "vector-errors";
    }

    @Override
    public String fault() {
        return "Qdrant (test double) fails half of all calls with UNAVAILABLE, from 25% of the load";
    }

    @Override
    public boolean usesQdrant() {
        return true;
    }

    @Override
    public void inject(FaultRun run) throws Exception {
        run.awaitProgress(STORM_AT);
        run.faultStarts("Qdrant error storm for " + FaultSuite.seconds(run.options().outage()));
        run.rig().qdrant().failCalls(FAILING_SHARE, Status.Code.UNAVAILABLE);
        run.holdFault();
        run.rig().qdrant().stopFailing();
        run.faultEnds();
        failedCalls = run.rig().qdrant().failedCalls();
    }

    @Override
    public void verify(FaultRun run, Drained drained) {
        run.note("Qdrant calls failed on purpose", failedCalls);
        run.check("the storm hit the workers", failedCalls > 0, failedCalls + " calls failed");
    }
}
