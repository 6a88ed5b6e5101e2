package dev.memorymodule.workers.cli;

import java.io.PrintWriter;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.memorymodule.workers.dlq.DeadLetter;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/** Shows one dead letter: its headers and the job, pretty-printed when it is JSON. */
@Command(name = "inspect", mixinStandardHelpOptions = true,
         description = "Show one dead letter: its headers, and the job (JSON pretty-printed, other text escaped, "
                 + "other bytes in hex).")
final class DlqInspectCommand implements Callable<Integer> {

    /** What is shown of a job unless --full asks for all of it. */
    private static final int DEFAULT_MAX_CHARS = 64 * 1024;

    @Mixin
    DlqOptions options;

    @Parameters(index = "0", paramLabel = "SEQ", description = "Sequence of the dead letter in the stream")
    long sequence;

    @Option(names = "--full", description = "Show the whole job, however long")
    boolean full;

    @Option(names = "--raw", description = "Write only the job's bytes, exactly as published (to fix and resubmit)")
    boolean raw;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        Optional<DeadLetter> found;
        String stream;
        try (DlqOptions.Connected dlq = options.open("mm-dlq-inspect")) {
            found = dlq.store().get(sequence);
            stream = dlq.store().stream();
        }
        if (found.isEmpty()) {
            spec.commandLine().getErr().println("no dead letter " + sequence + " in " + stream);
            return 1;
        }
        if (raw) {
            // bytes, not characters: the job may not be text at all
            System.out.write(found.get().data());
            System.out.flush();
            return 0;
        }
        PrintWriter out = spec.commandLine().getOut();
        DeadLetterFormat.details(found.get(), stream, full ? 0 : DEFAULT_MAX_CHARS).forEach(out::println);
        out.flush();
        return 0;
    }
}
