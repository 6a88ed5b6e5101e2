package dev.memorymodule.workers.faults;

import java.time.Duration;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * SIGTERM to a worker mid-load, as Kubernetes stops a pod: it must stop fetching, finish or give back what it
 * holds within its drain timeout, and exit; a replacement takes over.
 */
final class SigtermScenario implements FaultScenario {

    private static final double STOP_AT = 0.35;
    /** Above camel.main.shutdown-timeout (45 s), so a worker that does not exit on its own shows as a failure. */
    private static final Duration EXIT_WAIT = Duration.ofSeconds(90);
    private static final Pattern RELEASED = Pattern.compile("Released (\\d+) message\\(s\\)");
    private static final Pattern STOPPED = Pattern.compile("Stopped consuming (\\S+) through \\S+: (\\d+) acked, "
            + "(\\d+) nak'ed, (\\d+) terminated");

    private int exitStatus = -1;
    private String log = "";

    @Override
    public String name() {
        return "sigterm";
    }

    @Override
    public String fault() {
        return "SIGTERM to a worker at 35% of the load; it drains and exits, a replacement starts";
    }

    @Override
    public void inject(FaultRun run) throws Exception {
        run.awaitProgress(STOP_AT);
        run.faultStarts("SIGTERM to " + run.fleet().id(0) + " until it exited");
        exitStatus = run.fleet().terminate(0, EXIT_WAIT);
        run.faultEnds();
        log = run.fleet().log(0);
        run.fleet().replace(0);
    }

    @Override
    public void verify(FaultRun run, Drained drained) {
        run.note("exit status after SIGTERM", exitStatus);
        Matcher stopped = STOPPED.matcher(log);
        int lanes = 0;
        StringBuilder settled = new StringBuilder();
        while (stopped.find()) {
            lanes++;
            settled.append(settled.length() == 0 ? "" : "; ").append(stopped.group(1)).append(": ")
                    .append(stopped.group(2)).append(" acked, ").append(stopped.group(3)).append(" nak'ed, ")
                    .append(stopped.group(4)).append(" terminated");
        }
        run.note("settled by the stopped worker", settled);
        Matcher released = RELEASED.matcher(log);
        int givenBack = 0;
        while (released.find()) {
            givenBack += Integer.parseInt(released.group(1));
        }
        run.note("given back after the drain timeout", givenBack);
        // the JVM ends on SIGTERM with 143 once its shutdown hooks (Camel's drain) are done; 0 if it exits itself
        run.check("worker exited by itself after SIGTERM", List.of(0, 143).contains(exitStatus),
                "exit status " + exitStatus);
        run.check("worker stopped all three consumers before exiting", lanes == 3, lanes + " stopped");
    }
}
