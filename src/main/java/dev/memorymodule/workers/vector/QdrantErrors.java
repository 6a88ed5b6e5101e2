package dev.memorymodule.workers.vector;

import java.util.concurrent.CancellationException;
import java.util.concurrent.ExecutionException;

import dev.memorymodule.workers.job.PermanentJobException;
import dev.memorymodule.workers.job.TransientJobException;
import io.grpc.Status;

/**
 * Turns a failed Qdrant call into the job outcome it means: permanent when the same request must fail again
 * (Qdrant rejected its content), transient when waiting may help (Qdrant down, slow, overloaded, or refusing this
 * worker's credentials until an operator fixes them). The message keeps Qdrant's own reason.
 */
final class QdrantErrors {

    /** What a missing collection means for the operation at hand. */
    enum WhenMissing {
        /** A write: the store recreates the collection on the next attempt, so a retry succeeds. */
        RETRY,
        /** A read: nothing was ever stored for this model and size, and retrying does not change that. */
        FAIL
    }

    private QdrantErrors() {
    }

    /** The gRPC status of a failure from the client, unwrapping the future's wrappers; UNKNOWN for anything else. */
    static Status status(Throwable failure) {
        Throwable cause = unwrap(failure);
        return cause instanceof CancellationException ? Status.CANCELLED : Status.fromThrowable(cause);
    }

    static RuntimeException translate(Throwable failure, String operation, WhenMissing whenMissing) {
        Throwable cause = unwrap(failure);
        Status status = status(cause);
        String reason = status.getDescription() != null ? status.getDescription() : String.valueOf(cause);
        String message = "Qdrant " + operation + " failed (" + status.getCode() + "): " + reason;
        return switch (status.getCode()) {
            // the request itself is wrong: a vector of the wrong size, an id that is no UUID
            case INVALID_ARGUMENT, OUT_OF_RANGE, ALREADY_EXISTS, UNIMPLEMENTED, DATA_LOSS ->
                    new PermanentJobException(message, cause);
            case NOT_FOUND -> whenMissing == WhenMissing.FAIL
                    ? new PermanentJobException(message, cause)
                    : new TransientJobException(message, cause);
            // the worker's API key, not the job, is at fault; jobs wait in the stream until it is fixed
            case UNAUTHENTICATED, PERMISSION_DENIED -> new TransientJobException(
                    message + " (check the Qdrant API key of this worker)", cause);
            default -> new TransientJobException(message, cause);
        };
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable cause = failure;
        while (cause instanceof ExecutionException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        return cause;
    }
}
