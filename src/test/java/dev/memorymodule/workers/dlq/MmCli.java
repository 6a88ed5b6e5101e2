package dev.memorymodule.workers.dlq;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;

import dev.memorymodule.workers.cli.MmCommand;
import picocli.CommandLine;

/** Runs the {@code mm} command line in this JVM against a test's NATS server, and keeps what it printed. */
final class MmCli {

    /** What one command did. */
    record Run(int exitCode, String out, String err) {
    }

    private final String natsUrl;

    MmCli(String natsUrl) {
        this.natsUrl = natsUrl;
    }

    /** {@code mm <args> --nats <url>}; the configuration is the project's own application.properties. */
    Run run(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        CommandLine command = new CommandLine(new MmCommand());
        command.setOut(new PrintWriter(out, true));
        command.setErr(new PrintWriter(err, true));
        List<String> all = new ArrayList<>(List.of(args));
        all.add("--nats");
        all.add(natsUrl);
        int exitCode = command.execute(all.toArray(String[]::new));
        // in the test's output file, so a failing assertion can be read against what an operator would have seen
        System.out.printf("$ mm %s%n%s%s(exit %d)%n", String.join(" ", args), out, err, exitCode);
        return new Run(exitCode, out.toString(), err.toString());
    }
}
