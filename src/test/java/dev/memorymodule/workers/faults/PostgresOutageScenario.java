package dev.memorymodule.workers.faults;

/**
 * PostgreSQL unreachable mid-load: every connection through the proxy is reset and new ones are refused. Every job
 * that gets past validation needs the ledger, so all of them fail transiently and go back with a backoff until the
 * database is back; none may run out of deliveries within the outage, none may run twice.
 */
final class PostgresOutageScenario implements FaultScenario {

    private static final double CUT_AT = 0.3;

    @Override
    public String name() {
        return "pg-outage";
    }

    @Override
    public String fault() {
        return "PostgreSQL unreachable (connections reset, new ones refused) at 30% of the load";
    }

    @Override
    public void inject(FaultRun run) throws Exception {
        run.awaitProgress(CUT_AT);
        run.faultStarts("PostgreSQL cut for " + FaultSuite.seconds(run.options().outage()));
        run.rig().postgresProxy().cut();
        run.holdFault();
        run.rig().postgresProxy().restore();
        run.faultEnds();
    }
}
