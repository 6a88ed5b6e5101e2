package dev.memorymodule.workers.faults;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.logging.Level;

import dev.memorymodule.workers.testsupport.Neo4jServer;
import org.apache.camel.util.TimeUtils;
import org.neo4j.driver.AuthTokens;
import org.neo4j.driver.Driver;
import org.neo4j.driver.GraphDatabase;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/**
 * The fault suite: each scenario runs a mixed load of every job type through two real workers on real servers,
 * injects its fault mid-load, waits for the load to drain and then checks that nothing was lost and nothing
 * doubled: one terminal event per job message, each store holding exactly the memories of the jobs that
 * completed, dead letters only for jobs that could never succeed. {@code bin/fault-suite} builds and runs it.
 */
@Command(name = "fault-suite", sortOptions = false,
        description = "Runs jobs through two workers while injecting faults, and checks that nothing was lost or "
                + "doubled. Exits 0 when every check of every scenario held, 1 otherwise.")
public final class FaultSuite implements Callable<Integer> {

    @Parameters(paramLabel = "SCENARIO", arity = "0..*",
            description = "Scenarios to run, in this order (default: all): kill9, nats-restart, pg-outage, "
                    + "neo4j-outage, vector-errors, slow-store, sigterm.")
    private List<String> scenarios = new ArrayList<>();

    @Option(names = "--jobs", paramLabel = "N", description = "Job messages per scenario (default: ${DEFAULT-VALUE}).")
    private int jobs = SuiteOptions.DEFAULT_JOBS;

    @Option(names = "--rate", paramLabel = "PER_SECOND",
            description = "Job messages published per second (default: ${DEFAULT-VALUE}).")
    private int rate = SuiteOptions.DEFAULT_RATE;

    @Option(names = "--outage", paramLabel = "DURATION",
            description = "How long an outage, error storm or slow spell lasts, e.g. 30s (default: 30s).")
    private String outage = "30s";

    @Option(names = "--seed", description = "Seed of the job mix (default: ${DEFAULT-VALUE}).")
    private long seed = SuiteOptions.DEFAULT_SEED;

    @Option(names = "--work-dir", paramLabel = "DIR",
            description = "Where the report and the worker logs go (default: ${DEFAULT-VALUE}).")
    private Path workDir = Path.of("target-faults");

    @Option(names = {"-h", "--help"}, usageHelp = true, description = "Show this help and exit.")
    private boolean help;

    @Option(names = "--out", paramLabel = "FILE",
            description = "The report file (default: WORK_DIR/fault-suite-<date>.txt).")
    private Path out;

    public static void main(String[] args) {
        // the Neo4j driver and server announce themselves through java.util.logging; the report is what matters
        java.util.logging.Logger.getLogger("").setLevel(Level.WARNING);
        // bin/fault-suite names the work folder first; one given on its command line comes later and wins
        System.exit(new CommandLine(new FaultSuite()).setOverwrittenOptionsAllowed(true).execute(args));
    }

    @Override
    public Integer call() throws IOException {
        List<FaultScenario> chosen;
        SuiteOptions options;
        try {
            chosen = Scenarios.named(scenarios);
            options = new SuiteOptions(jobs, rate, Duration.ofMillis(TimeUtils.toMilliSeconds(outage)), seed, workDir);
        } catch (IllegalArgumentException e) {
            System.err.println("fault-suite: " + e.getMessage());
            return 2;
        }
        Instant started = Instant.now();
        List<ScenarioResult> results = run(options, chosen, System.out);
        String report = ResultTable.render(results, options, started, Duration.between(started, Instant.now()));

        Path file = out != null ? out : workDir.resolve("fault-suite-" + LocalDate.now() + ".txt");
        if (file.toAbsolutePath().getParent() != null) {
            Files.createDirectories(file.toAbsolutePath().getParent());
        }
        Files.writeString(file, report);
        System.out.println();
        System.out.print(report);
        System.out.println("report written to " + file);
        return results.stream().allMatch(ScenarioResult::passed) ? 0 : 1;
    }

    /** Runs the scenarios one after the other on one Neo4j server; each gets fresh everything else. */
    static List<ScenarioResult> run(SuiteOptions options, List<FaultScenario> scenarios, PrintStream progress) {
        List<ScenarioResult> results = new ArrayList<>();
        try (Neo4jServer neo4j = Neo4jServer.start();
             Driver driver = GraphDatabase.driver(neo4j.url(), AuthTokens.none())) {
            ScenarioRunner runner = new ScenarioRunner(options, neo4j, driver);
            for (FaultScenario scenario : scenarios) {
                progress.printf("fault-suite: %s (%s)...%n", scenario.name(), scenario.fault());
                Instant started = Instant.now();
                ScenarioResult result = runner.run(scenario);
                results.add(result);
                progress.printf("fault-suite: %s %s in %s: %d jobs, %d lost, %d doubled%n", scenario.name(),
                        result.passed() ? "passed" : "FAILED", seconds(Duration.between(started, Instant.now())),
                        result.published(), result.lost(), result.doubled());
            }
        }
        return results;
    }

    /** A duration as the report shows it, in seconds with one decimal; "-" when there is none. */
    static String seconds(Duration duration) {
        if (duration == null) {
            return "-";
        }
        return String.format(Locale.ROOT, "%.1f s", duration.toMillis() / 1000.0);
    }
}
