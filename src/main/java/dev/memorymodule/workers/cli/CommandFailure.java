package dev.memorymodule.workers.cli;

/**
 * A failure a command explains in one line: its message is all an operator needs, so {@code mm} prints it without
 * a stack trace.
 */
final class CommandFailure extends RuntimeException {

    CommandFailure(String message) {
        super(message);
    }

    CommandFailure(String message, Throwable cause) {
        super(message, cause);
    }
}
