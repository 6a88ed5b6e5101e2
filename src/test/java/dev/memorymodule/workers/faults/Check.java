package dev.memorymodule.workers.faults;

/** One thing a scenario must show, whether it did, and the figures behind the answer. */
record Check(String name, boolean passed, String detail) {
}
