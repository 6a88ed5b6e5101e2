package dev.memorymodule.workers.testsupport;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import dev.memorymodule.workers.cli.MmCommand;
import picocli.CommandLine;

/** Runs the {@code mm} command line in this JVM against a test's NATS server, and keeps what it printed. */
public final class MmCli {

    /** What one command did. */
    public record Run(int exitCode, String out, String err) {
    }

    private final String natsUrl;

    public MmCli(String natsUrl) {
        this.natsUrl = natsUrl;
    }

    /**
     * {@code mm <args> --nats <url>}, unless the arguments name a server of their own; the configuration is the
     * project's own application.properties.
     */
    public Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = MmCommand.commandLine();
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        if (!all.contains("--nats")) {
            all.add("--nats");
            all.add(natsUrl);
        }
        int exitCode = command.execute(all.toArray(String[]::new));
        // in the test's output file, so a failing assertion can be read against what an operator would have seen
        System.out.printf("$ mm %s%n%s%s(exit %d)%n", String.join(" ", args), out, err, exitCode);
        return new Run(exitCode, out.toString(), err.toString());
    }
}
