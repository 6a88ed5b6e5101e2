package dev.memorymodule.workers.faults;

import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;

import dev.memorymodule.workers.faults.ScenarioResult.Recovery;
import dev.memorymodule.workers.faults.ScenarioResult.StoreFigure;

/** The report of a suite run: one table row per scenario, then each scenario's figures and checks in full. */
final class ResultTable {

    private static final String[] HEADER = {"scenario", "jobs", "completed", "lost", "doubled", "rows", "vectors",
        "nodes", "dead letters", "redeliveries", "max attempts", "first done after fault", "retried done after",
        "drain after", "result"};

    private static final String LEGEND = """

            lost: job messages without a terminal event, plus memories of completed jobs missing from a store.
            doubled: job messages with more than one terminal event, idempotency keys completed twice, memories
            stored twice. rows, vectors, nodes: memories found in PostgreSQL, the vector store and the graph (each
            exactly those of the completed jobs unless marked +extra). Times count from the end of the scenario's
            last fault: to the first job completed after it, to the last job completed that had needed another
            delivery, and to the last outcome of the load.
            """;

    private ResultTable() {
    }

    static String render(List<ScenarioResult> results, SuiteOptions options, Instant started, Duration took) {
        StringBuilder out = new StringBuilder();
        out.append("Fault suite, ").append(started).append(": ").append(results.size()).append(" scenario(s), ")
                .append(options.jobs()).append(" job messages each at ").append(options.jobsPerSecond())
                .append("/s, outages of ").append(FaultSuite.seconds(options.outage())).append(", seed ")
                .append(options.seed()).append("; took ").append(FaultSuite.seconds(took)).append("\n\n");
        table(out, results);
        out.append(LEGEND);
        for (ScenarioResult result : results) {
            out.append('\n');
            details(out, result);
        }
        long failed = results.stream().filter(result -> !result.passed()).count();
        out.append('\n').append(failed == 0 ? "ALL PASSED" : failed + " SCENARIO(S) FAILED").append('\n');
        return out.toString();
    }

    private static void table(StringBuilder out, List<ScenarioResult> results) {
        List<String[]> rows = new ArrayList<>();
        rows.add(HEADER);
        for (ScenarioResult result : results) {
            Recovery last = result.recoveries().isEmpty() ? null
                    : result.recoveries().get(result.recoveries().size() - 1);
            rows.add(new String[] {result.name(), Integer.toString(result.published()),
                Integer.toString(result.events().outcomes().getOrDefault("completed", 0)),
                Integer.toString(result.lost()), Integer.toString(result.doubled()), found(result, 0),
                found(result, 1), found(result, 2), Long.toString(result.deadLetters()),
                Long.toString(result.redeliveries()), Long.toString(result.maxAttempts()),
                last == null ? "-" : FaultSuite.seconds(last.firstCompletionAfter()),
                last == null ? "-" : FaultSuite.seconds(last.redeliveredDone()),
                FaultSuite.seconds(result.drain()), result.passed() ? "PASS" : "FAIL"});
        }
        int[] widths = new int[HEADER.length];
        for (String[] row : rows) {
            for (int i = 0; i < row.length; i++) {
                widths[i] = Math.max(widths[i], row[i].length());
            }
        }
        for (String[] row : rows) {
            StringBuilder line = new StringBuilder();
            for (int i = 0; i < row.length; i++) {
                String cell = row[i];
                // names left, figures right
                line.append(i == 0 ? pad(cell, widths[i], false) : pad(cell, widths[i], true)).append("  ");
            }
            out.append(line.toString().stripTrailing()).append('\n');
        }
    }

    private static String found(ScenarioResult result, int store) {
        if (result.stores().size() <= store) {
            return "-";
        }
        StoreFigure figure = result.stores().get(store);
        return figure.extra() == 0 ? Integer.toString(figure.found()) : figure.found() + " (+" + figure.extra() + ")";
    }

    private static void details(StringBuilder out, ScenarioResult result) {
        out.append("== ").append(result.name()).append(": ").append(result.fault()).append('\n');
        if (!result.load().isEmpty()) {
            out.append("   load: ").append(result.published()).append(" job messages published (")
                    .append(join(result.load())).append("), ").append(result.retries())
                    .append(" publishes retried; ran ").append(FaultSuite.seconds(result.elapsed()));
            if (!result.elapsed().isZero()) {
                out.append(String.format(", %.1f job messages/s", result.published() * 1000.0
                        / result.elapsed().toMillis()));
            }
            out.append('\n');
            out.append("   outcomes: ").append(join(result.events().outcomes())).append("; ")
                    .append(result.events().missing()).append(" job messages without a terminal event, ")
                    .append(result.events().doubled()).append(" with more than one\n");
        }
        for (int i = 0; i < result.recoveries().size(); i++) {
            Recovery recovery = result.recoveries().get(i);
            out.append("   fault ").append(i + 1).append(": ").append(recovery.window().what()).append(", ")
                    .append(FaultSuite.seconds(recovery.window().length())).append("; first job completed ")
                    .append(FaultSuite.seconds(recovery.firstCompletionAfter())).append(" after it ended");
            if (recovery.redeliveredDone() != null) {
                out.append("; last job that needed another delivery completed ")
                        .append(FaultSuite.seconds(recovery.redeliveredDone())).append(" after it ended");
            }
            out.append('\n');
        }
        if (result.drain() != null) {
            out.append("   drain: last outcome ").append(FaultSuite.seconds(result.drain()))
                    .append(" after the last fault ended\n");
        }
        for (StoreFigure store : result.stores()) {
            out.append("   ").append(store.store()).append(": ").append(store.expected()).append(" expected, ")
                    .append(store.found()).append(" found, ").append(store.lost()).append(" lost, ")
                    .append(store.extra()).append(" extra, ").append(store.doubled()).append(" doubled\n");
        }
        if (!result.load().isEmpty()) {
            out.append("   dead letters: ").append(result.deadLetters()).append("; redeliveries: ")
                    .append(result.redeliveries()).append(" (most deliveries of one job: ").append(result.maxAttempts())
                    .append("); ledger: ").append(result.ledger().getOrDefault("completed", 0L)).append(" completed, ")
                    .append(result.ledger().getOrDefault("running", 0L)).append(" running\n");
        }
        result.notes().forEach((figure, value) -> out.append("   ").append(figure).append(": ").append(value)
                .append('\n'));
        for (Check check : result.checks()) {
            out.append("   ").append(check.passed() ? "PASS " : "FAIL ").append(check.name()).append(" (")
                    .append(check.detail()).append(")\n");
        }
    }

    private static String join(Map<String, ? extends Number> counts) {
        return counts.entrySet().stream().map(e -> e.getKey() + " " + e.getValue()).collect(Collectors.joining(", "));
    }

    private static String pad(String text, int width, boolean right) {
        String fill = " ".repeat(Math.max(0, width - text.length()));
        return right ? fill + text : text + fill;
    }
}
