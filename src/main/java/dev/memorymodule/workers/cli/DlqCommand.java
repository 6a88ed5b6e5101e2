package dev.memorymodule.workers.cli;

import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** {@code mm dlq}: read the dead-letter stream and send its jobs back. Does nothing without a subcommand. */
@Command(name = "dlq", mixinStandardHelpOptions = true,
         description = "Dead letters: list, inspect and replay the jobs in the dead-letter stream.",
         subcommands = { DlqListCommand.class, DlqInspectCommand.class, DlqReplayCommand.class })
final class DlqCommand implements Runnable {

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
        throw new ParameterException(spec.commandLine(), "Missing subcommand: list, inspect or replay");
    }
}
