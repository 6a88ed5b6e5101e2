package dev.memorymodule.workers.bench;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

/**
 * Runs the benchmark command at its smallest, so the command itself cannot rot: it must finish, fill its tables and
 * write its report. It asserts no speed; the figures are the command's to print, not a test's to judge.
 */
class BenchmarksSmokeTest {

    // a table row at load 1x: the load, then numbers
    private static final Pattern ROUTE_ROW = Pattern.compile("1x\\s+2\\s+64\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)");
    private static final Pattern OVERHEAD_ROW = Pattern.compile("1x\\s+40\\s+([0-9.]+)\\s+([0-9.]+)\\s+([0-9.]+)");

    @Test
    void theQuickRunOfTwoSectionsFillsItsTablesAndWritesTheReport(@TempDir Path temp) throws Exception {
        Path report = temp.resolve("report.txt");

        int exit = new CommandLine(new Benchmarks()).execute("--quick", "--loads", "1", "--sections",
                "route,overhead", "--out", report.toString());

        assertThat(exit).isZero();
        String text = Files.readString(report);
        assertThat(text).contains("## Route versus raw DJL", "## Consumer overhead", "## Summary",
                "where the time goes", "job-lifecycle");
        assertPositiveNumbers(ROUTE_ROW.matcher(text));
        assertPositiveNumbers(OVERHEAD_ROW.matcher(text));
    }

    private static void assertPositiveNumbers(Matcher row) {
        assertThat(row.find()).as("a filled 1x row").isTrue();
        for (int group = 1; group <= row.groupCount(); group++) {
            assertThat(Double.parseDouble(row.group(group))).isPositive();
        }
    }
}
