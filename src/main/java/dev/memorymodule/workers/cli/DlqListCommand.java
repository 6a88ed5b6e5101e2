package dev.memorymodule.workers.cli;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.concurrent.Callable;

import dev.memorymodule.workers.dlq.DeadLetterQuery;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/** Lists dead letters, one line each, oldest first. Reading changes nothing. */
@Command(name = "list", mixinStandardHelpOptions = true,
         description = "List dead letters: sequence, time, subject, job id, outcome, reason.")
final class DlqListCommand implements Callable<Integer> {

    @Mixin
    DlqOptions options;

    @Option(names = "--subject", paramLabel = "FILTER",
            description = "Subject filter in the dead-letter stream, e.g. mm.dlq.online.embed or '*.embed'")
    String subject;

    @Option(names = "--since", paramLabel = "DURATION",
            description = "Only dead letters stored within this time (30m, 2h, 7d, 2w) or since an instant")
    String since;

    @Option(names = "--reason", paramLabel = "TEXT", description = "Only dead letters whose reason contains TEXT")
    String reason;

    @Option(names = "--limit", paramLabel = "N", defaultValue = "100",
            description = "Show the N most recent matches (default: ${DEFAULT-VALUE}; 0 for all)")
    int limit;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        DeadLetterQuery query = new DeadLetterQuery(subject, SinceOption.parseOption(since, spec), reason);
        Deque<String> shown = new ArrayDeque<>();
        long[] matched = {0};
        try (DlqOptions.Connected dlq = options.open("mm-dlq-list")) {
            dlq.store().forEach(query, letter -> {
                matched[0]++;
                // only the lines are kept, not the jobs: a long dead-letter stream stays cheap to list
                shown.addLast(DeadLetterFormat.listLine(letter));
                if (limit > 0 && shown.size() > limit) {
                    shown.removeFirst();
                }
            });
        }

        PrintWriter out = spec.commandLine().getOut();
        if (shown.isEmpty()) {
            out.println("no dead letters match");
            return 0;
        }
        out.println(DeadLetterFormat.listHeader());
        shown.forEach(out::println);
        long hidden = matched[0] - shown.size();
        if (hidden > 0) {
            spec.commandLine().getErr().println(hidden + " older dead letter(s) match too; --limit 0 lists all");
        }
        out.flush();
        return 0;
    }
}
