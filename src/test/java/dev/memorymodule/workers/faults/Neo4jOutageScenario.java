package dev.memorymodule.workers.faults;

/**
 * Neo4j unreachable mid-load: the graph and the vector index (the default vector backend) are both behind it, so
 * neo4j_write, index, summarize, qdrant_upsert and retrieve all fail transiently; index and summarize do so after
 * their rows are written, so their redelivery must write the rows again without doubling them.
 */
final class Neo4jOutageScenario implements FaultScenario {

    private static final double CUT_AT = 0.3;

    @Override
    public String name() {
        return "neo4j-outage";
    }

    @Override
    public String fault() {
        return "Neo4j unreachable (graph and vector index; connections reset, new ones refused) at 30% of the load";
    }

    @Override
    public void inject(FaultRun run) throws Exception {
        run.awaitProgress(CUT_AT);
        run.faultStarts("Neo4j cut for " + FaultSuite.seconds(run.options().outage()));
        run.rig().neo4jProxy().cut();
        run.holdFault();
        run.rig().neo4jProxy().restore();
        run.faultEnds();
    }
}
