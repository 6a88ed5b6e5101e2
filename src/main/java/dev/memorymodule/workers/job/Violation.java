package dev.memorymodule.workers.job;

/**
 * One reason a payload is not a valid job.
 *
 * @param path    JSON path of the offending value, {@code $} for the document itself
 * @param keyword the schema keyword that failed ({@code required}, {@code format}, ...) or {@code json} for a
 *                payload that does not parse
 * @param message what is wrong, for a person to act on
 */
public record Violation(String path, String keyword, String message) {

    @Override
    public String toString() {
        return path + ": " + message;
    }
}
