package dev.memorymodule.workers.job;

/**
 * A valid job whose type this worker does not run. It is rejected without running, like an invalid job.
 */
public class UnsupportedJobTypeException extends PermanentJobException {

    public UnsupportedJobTypeException(String type) {
        super("job type '" + type + "' is not run by this worker");
    }
}
