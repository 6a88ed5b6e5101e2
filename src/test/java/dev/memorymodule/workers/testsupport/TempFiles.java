package dev.memorymodule.workers.testsupport;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.stream.Stream;

/** Removal of the temporary folders that fixtures own. */
public final class TempFiles {

    private TempFiles() {
    }

    /** Deletes a folder and everything in it; leftovers in the system temp folder are harmless, so no error. */
    public static void deleteQuietly(Path root) {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            // children before their parents
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException | RuntimeException e) {
            // best effort by design: the fixture's cleanup must never hide the test's own failure
        }
    }
}
