package dev.memorymodule.workers.faults;

/**
 * kill -9 of a worker mid-load, twice: first one worker, later the other, each replaced by a new one as a
 * Deployment would. The jobs a killed worker held come back once their ack wait runs out; the ledger lets their
 * redelivery claim the key the dead worker had claimed.
 */
final class Kill9Scenario implements FaultScenario {

    private static final double[] KILL_AT = {0.25, 0.6};

    @Override
    public String name() {
        return "kill9";
    }

    @Override
    public String fault() {
        return "SIGKILL of a worker at 25% and of the other at 60% of the load, each replaced";
    }

    @Override
    public void inject(FaultRun run) throws Exception {
        for (int slot = 0; slot < KILL_AT.length; slot++) {
            run.awaitProgress(KILL_AT[slot]);
            String killed = run.fleet().id(slot);
            run.faultStarts("kill -9 of " + killed + ", replacement started");
            run.fleet().kill(slot);
            run.fleet().replace(slot);
            run.faultEnds();
        }
    }

    @Override
    public void verify(FaultRun run, Drained drained) {
        run.check("two workers killed and replaced", run.windows().size() == KILL_AT.length,
                "workers started: " + String.join(", ", run.fleet().startedIds()));
    }
}
