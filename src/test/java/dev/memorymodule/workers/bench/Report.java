package dev.memorymodule.workers.bench;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/**
 * The figures of one benchmark run as plain-text tables, printed as each one is done and written to a file at the
 * end, so a run cut short still shows what it measured.
 */
final class Report {

    private final PrintStream out;
    private final StringBuilder text = new StringBuilder();
    private final List<String> verdicts = new ArrayList<>();

    Report(PrintStream out) {
        this.out = out;
    }

    void line(String line) {
        out.println(line);
        text.append(line).append('\n');
    }

    void section(String title, String... notes) {
        line("");
        line("## " + title);
        for (String note : notes) {
            line("   " + note);
        }
    }

    /** A ratio against its target, remembered for the summary at the end. */
    void verdict(String what, double value, double target) {
        verdicts.add(String.format(Locale.ROOT, "%-58s %8.2f  (target >= %.2f: %s)", what, value, target,
                value >= target ? "met" : "NOT met"));
    }

    /** A figure without a target, for the summary. */
    void figure(String what, String value) {
        verdicts.add(String.format(Locale.ROOT, "%-58s %8s", what, value));
    }

    void summary() {
        section("Summary");
        verdicts.forEach(this::line);
    }

    void write(Path file) throws IOException {
        Files.createDirectories(file.toAbsolutePath().getParent());
        Files.writeString(file, text);
    }

    /** A table whose columns are as wide as their widest cell. */
    static final class Table {

        private final List<String> header;
        private final List<List<String>> rows = new ArrayList<>();

        Table(String... header) {
            this.header = List.of(header);
        }

        Table row(Object... cells) {
            List<String> row = new ArrayList<>();
            for (Object cell : cells) {
                row.add(format(cell));
            }
            rows.add(row);
            return this;
        }

        void printTo(Report report) {
            int[] widths = new int[header.size()];
            for (int c = 0; c < widths.length; c++) {
                widths[c] = header.get(c).length();
                for (List<String> row : rows) {
                    widths[c] = Math.max(widths[c], row.get(c).length());
                }
            }
            report.line(render(header, widths));
            List<String> rule = new ArrayList<>();
            for (int width : widths) {
                rule.add(String.join("", Collections.nCopies(width, "-")));
            }
            report.line(render(rule, widths));
            rows.forEach(row -> report.line(render(row, widths)));
        }

        private static String render(List<String> cells, int[] widths) {
            StringBuilder line = new StringBuilder("   ");
            for (int c = 0; c < cells.size(); c++) {
                String cell = cells.get(c);
                // numbers right-aligned, words left-aligned
                boolean numeric = !cell.isEmpty() && (Character.isDigit(cell.charAt(0)) || cell.charAt(0) == '-');
                line.append(numeric ? pad(cell, widths[c], true) : pad(cell, widths[c], false)).append("  ");
            }
            return line.toString().stripTrailing();
        }

        private static String pad(String cell, int width, boolean left) {
            String spaces = String.join("", Collections.nCopies(width - cell.length(), " "));
            return left ? spaces + cell : cell + spaces;
        }

        private static String format(Object cell) {
            if (cell instanceof Double value) {
                double magnitude = Math.abs(value);
                String pattern = magnitude >= 100 ? "%.0f" : magnitude >= 10 ? "%.1f" : "%.2f";
                return String.format(Locale.ROOT, pattern, value);
            }
            return String.valueOf(cell);
        }
    }

    /** The {@code p}-th percentile (0 to 100) of {@code values}, nearest rank. */
    static double percentile(List<Double> values, double p) {
        List<Double> sorted = new ArrayList<>(values);
        Collections.sort(sorted);
        int rank = (int) Math.ceil(p / 100 * sorted.size());
        return sorted.get(Math.max(0, Math.min(sorted.size() - 1, rank - 1)));
    }
}
