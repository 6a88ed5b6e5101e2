package dev.memorymodule.workers.http;

/**
 * A posted job larger than its stream stores ({@code mm.streams.<lane>.max-msg-size}). Checked before publishing,
 * so the client hears that no retry can help instead of a server error.
 */
public class JobTooLargeException extends RuntimeException {

    public JobTooLargeException(String message) {
        super(message);
    }
}
