package dev.memorymodule.workers.cli;

import java.io.PrintWriter;
import java.nio.file.AccessDeniedException;
import java.nio.file.NoSuchFileException;

import io.nats.client.JetStreamApiException;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.ParseResult;

/**
 * The {@code mm} command line: stream setup and job submission for operators and for clients without JetStream
 * code of their own.
 */
@Command(name = "mm", mixinStandardHelpOptions = true, version = "mm 0.1.0",
         description = "Memory Module workers: streams, jobs and dead letters.",
         subcommands = { InitStreamsCommand.class, SubmitCommand.class, DlqCommand.class })
public final class MmCommand {

    /** Set (to anything) to have a failed command print its stack trace after the one line. */
    public static final String DEBUG_ENV = "MM_DEBUG";

    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command line as {@code bin/mm} runs it, failures reported in one line each. */
    public static CommandLine commandLine() {
        CommandLine command = new CommandLine(new MmCommand());
        command.setExecutionExceptionHandler(MmCommand::reportFailure);
        return command;
    }

    // an operator needs what went wrong and where, not the frames of the code that found it
    private static int reportFailure(Exception failure, CommandLine command, ParseResult parsed) {
        PrintWriter err = command.getErr();
        err.println(command.getCommandSpec().qualifiedName() + ": " + describe(failure));
        if (System.getenv(DEBUG_ENV) != null) {
            failure.printStackTrace(err);
        }
        err.flush();
        return command.getCommandSpec().exitCodeOnExecutionException();
    }

    /** One line that says what went wrong, for an operator. */
    static String describe(Throwable failure) {
        String message;
        if (failure instanceof CommandFailure || failure instanceof IllegalArgumentException) {
            message = failure.getMessage();
        } else if (failure instanceof NoSuchFileException missing) {
            message = "no such file: " + missing.getFile();
        } else if (failure instanceof AccessDeniedException denied) {
            message = "permission denied: " + denied.getFile();
        } else if (failure instanceof JetStreamApiException refused) {
            message = "the server refused it: " + refused.getMessage();
        } else {
            message = failure.getClass().getSimpleName()
                    + (failure.getMessage() == null ? "" : ": " + failure.getMessage());
        }
        return String.valueOf(message).replaceAll("\\s*\\R\\s*", " ");
    }
}
