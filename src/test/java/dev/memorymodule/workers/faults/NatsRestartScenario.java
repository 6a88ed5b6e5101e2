package dev.memorymodule.workers.faults;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

import io.nats.client.JetStreamManagement;

/**
 * The NATS server stopped mid-load and, a while later, started again on the same port and JetStream store
 * (graceful stop, so the store is flushed; a crash would add the server's own recovery): workers and publishers
 * reconnect, the
 * streams and the durable consumers (their acks and redelivery state) come back from the file store. Acks and
 * events sent while it was down are lost on the way; redelivery and the events' de-duplication ids cover that.
 */
final class NatsRestartScenario implements FaultScenario {

    private static final double RESTART_AT = 0.35;
    /** Long enough for every client to notice: publishes and acks fail, connections go reconnecting. */
    private static final Duration DOWN = Duration.ofSeconds(10);
    private static final Duration CONSUMERS_BACK = Duration.ofSeconds(30);

    @Override
    public String name() {
        return "nats-restart";
    }

    @Override
    public String fault() {
        return "NATS server stopped at 35% of the load, started again " + DOWN.toSeconds()
                + " s later (same port, same JetStream store)";
    }

    @Override
    public void inject(FaultRun run) throws Exception {
        run.awaitProgress(RESTART_AT);
        WorkStreams streams = new WorkStreams(run.settings());
        JetStreamManagement management = run.rig().connection().jetStreamManagement();
        Map<String, Long> before = delivered(management, streams);
        Path store = run.rig().nats().storeDir();

        run.faultStarts("NATS server down for " + FaultSuite.seconds(DOWN) + ", then started again");
        run.rig().nats().stop();
        Thread.sleep(DOWN.toMillis());
        run.rig().nats().restart();
        run.faultEnds();

        Map<String, Long> after = deliveredOnceBack(run, streams);
        boolean kept = after.keySet().containsAll(before.keySet())
                && before.entrySet().stream().allMatch(e -> after.get(e.getKey()) >= e.getValue());
        run.note("JetStream store", store + (Files.isDirectory(store.resolve("jetstream")) ? " (kept)" : " (gone)"));
        run.check("durable consumers kept their delivery state across the restart", kept,
                "deliveries before " + before + ", after " + after);
    }

    private static Map<String, Long> deliveredOnceBack(FaultRun run, WorkStreams streams) throws Exception {
        long deadline = System.nanoTime() + CONSUMERS_BACK.toNanos();
        while (true) {
            try {
                return delivered(run.rig().connection().jetStreamManagement(), streams);
            } catch (Exception e) {
                // the suite's own connection may still be reconnecting
                if (System.nanoTime() > deadline) {
                    throw e;
                }
                Thread.sleep(250);
            }
        }
    }

    private static Map<String, Long> delivered(JetStreamManagement management, WorkStreams streams)
            throws Exception {
        Map<String, Long> delivered = new LinkedHashMap<>();
        for (WorkStreams.Lane lane : streams.lanes()) {
            delivered.put(lane.durable(), management.getConsumerInfo(lane.stream(), lane.durable()).getDelivered()
                    .getConsumerSequence());
        }
        return delivered;
    }
}
