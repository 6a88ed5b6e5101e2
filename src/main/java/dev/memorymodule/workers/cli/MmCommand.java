package dev.memorymodule.workers.cli;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code mm} command line: stream setup and job submission for operators and for clients without JetStream
 * code of their own.
 */
@Command(name = "mm", mixinStandardHelpOptions = true, version = "mm 0.1.0",
         description = "Memory Module workers: streams, jobs and dead letters.",
         subcommands = { InitStreamsCommand.class, SubmitCommand.class, DlqCommand.class })
public final class MmCommand {

    public static void main(String[] args) {
        System.exit(new CommandLine(new MmCommand()).execute(args));
    }
}
