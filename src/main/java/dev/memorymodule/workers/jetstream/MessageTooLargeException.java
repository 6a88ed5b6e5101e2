package dev.memorymodule.workers.jetstream;

/**
 * A message larger than the NATS server ({@code max_payload}) or its stream ({@code max_msg_size}) accepts.
 * Publishing the same message again fails the same way, so it is no reason to redeliver what produced it.
 */
public class MessageTooLargeException extends RuntimeException {

    public MessageTooLargeException(String message) {
        super(message);
    }

    public MessageTooLargeException(String message, Throwable cause) {
        super(message, cause);
    }
}
