package dev.memorymodule.workers.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** What the figures were measured on, read from the machine, for the head of the report. */
final class Machine {

    private Machine() {
    }

    static List<String> describe() {
        List<String> lines = new ArrayList<>();
        Runtime runtime = Runtime.getRuntime();
        lines.add("machine: " + runtime.availableProcessors() + " CPUs (" + cpuModel() + "), "
                + memoryGib() + " GiB, " + System.getProperty("os.name") + " " + System.getProperty("os.version"));
        lines.add("java: " + System.getProperty("java.vm.name") + " " + System.getProperty("java.version")
                + ", bench JVM max heap " + runtime.maxMemory() / (1 << 20) + " MiB; load average at start "
                + String.format(java.util.Locale.ROOT, "%.2f",
                ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage()));
        return lines;
    }

    private static String cpuModel() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
                if (line.startsWith("model name")) {
                    return line.substring(line.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException e) {
            // not Linux
        }
        return "model unknown";
    }

    private static long memoryGib() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (line.startsWith("MemTotal:")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", "")) / (1024 * 1024);
                }
            }
        } catch (IOException | NumberFormatException e) {
            // not Linux
        }
        return -1;
    }
}
