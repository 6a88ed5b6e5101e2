package dev.memorymodule.workers.cli;

import java.io.PrintWriter;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;

import dev.memorymodule.workers.dlq.DeadLetter;
import dev.memorymodule.workers.dlq.DeadLetterQuery;
import dev.memorymodule.workers.dlq.DeadLetterReplayer;
import dev.memorymodule.workers.dlq.Replay;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.Spec;

/**
 * Publishes dead-lettered jobs again on the subjects they first came on. The job is sent byte for byte, so it keeps
 * its idempotency key: one that completed meanwhile is reported as a duplicate, not run twice. The dead letters stay
 * in the stream unless {@code --purge-replayed} asks to delete the ones that were republished.
 */
@Command(name = "replay", mixinStandardHelpOptions = true,
         description = {"Publish dead-lettered jobs again on their original subjects (Nats-Msg-Id replay:<SEQ>, so "
                 + "a second replay inside the duplicate window is dropped by the server).",
                 "Select by sequence, or with --all, --subject, --reason (and --since)."})
final class DlqReplayCommand implements Callable<Integer> {

    @Mixin
    DlqOptions options;

    @Parameters(arity = "0..*", paramLabel = "SEQ", description = "Sequences of the dead letters to replay")
    List<Long> sequences;

    @Option(names = "--all", description = "Replay every dead letter")
    boolean all;

    @Option(names = "--subject", paramLabel = "FILTER",
            description = "Replay the dead letters under this subject filter, e.g. mm.dlq.online.embed or '*.embed'")
    String subject;

    @Option(names = "--reason", paramLabel = "TEXT",
            description = "Replay the dead letters whose reason contains TEXT")
    String reason;

    @Option(names = "--since", paramLabel = "DURATION",
            description = "With a selector: only dead letters stored within this time (30m, 2h, 7d, 2w) or since an "
                    + "instant")
    String since;

    @Option(names = "--dry-run", description = "Print what would be replayed; publish and delete nothing")
    boolean dryRun;

    @Option(names = "--purge-replayed",
            description = "Delete from the dead-letter stream each dead letter that was republished")
    boolean purgeReplayed;

    @Spec
    CommandSpec spec;

    @Override
    public Integer call() throws Exception {
        boolean bySequence = sequences != null && !sequences.isEmpty();
        boolean bySelector = all || subject != null || reason != null;
        if (bySequence == bySelector) {
            throw new ParameterException(spec.commandLine(),
                    "name the dead letters to replay: SEQ..., or one of --all, --subject, --reason (not both)");
        }
        if (since != null && !bySelector) {
            throw new ParameterException(spec.commandLine(), "--since narrows --all, --subject or --reason");
        }

        PrintWriter out = spec.commandLine().getOut();
        Map<Replay.Status, Integer> counts = new EnumMap<>(Replay.Status.class);
        int missing = 0;
        try (DlqOptions.Connected dlq = options.open("mm-dlq-replay")) {
            if (bySequence) {
                for (long sequence : sequences) {
                    Optional<DeadLetter> letter = dlq.store().get(sequence);
                    if (letter.isEmpty()) {
                        out.println(line("not found", sequence, "no dead letter with that sequence in "
                                + dlq.store().stream()));
                        missing++;
                        continue;
                    }
                    replay(dlq, letter.get(), counts, out);
                }
            } else {
                DeadLetterQuery query = new DeadLetterQuery(subject, SinceOption.parseOption(since, spec),
                        reason);
                dlq.store().forEach(query, letter -> replay(dlq, letter, counts, out));
            }
        }
        out.println(summary(counts, missing));
        out.flush();
        boolean failed = missing > 0 || counts.containsKey(Replay.Status.FAILED)
                || counts.containsKey(Replay.Status.NOT_REPLAYABLE) || counts.containsKey(Replay.Status.REFUSED);
        return failed ? 1 : 0;
    }

    private void replay(DlqOptions.Connected dlq, DeadLetter letter, Map<Replay.Status, Integer> counts,
                        PrintWriter out) {
        Replay replay = dlq.replayer().replay(letter, dryRun);
        counts.merge(replay.status(), 1, Integer::sum);
        out.println(describe(replay));
        if (purgeReplayed && replay.republished()) {
            purge(dlq, letter, out);
        } else if (purgeReplayed && replay.status() == Replay.Status.WOULD_REPLAY) {
            out.println(line("", letter.sequence(), "would then be deleted from " + dlq.store().stream()));
        }
        out.flush();
    }

    /** Deletes a dead letter whose job is back in a job stream; a failure to delete is reported, not fatal. */
    private static void purge(DlqOptions.Connected dlq, DeadLetter letter, PrintWriter out) {
        try {
            boolean removed = dlq.store().remove(letter.sequence());
            out.println(line(removed ? "deleted" : "already deleted", letter.sequence(), "from "
                    + dlq.store().stream()));
        } catch (Exception e) {
            out.println(line("not deleted", letter.sequence(), String.valueOf(e.getMessage())));
        }
    }

    static String describe(Replay replay) {
        DeadLetter letter = replay.letter();
        long sequence = letter.sequence();
        String job = "(job " + DeadLetterFormat.escape(letter.jobId().orElse("-"), false) + ")";
        String id = DeadLetterReplayer.msgId(letter);
        return switch (replay.status()) {
            case WOULD_REPLAY -> line("would replay", sequence, "to " + replay.subject() + " as " + id + " " + job
                    + ", " + letter.outcome() + ": " + shortReason(letter));
            case REPLAYED -> line("replayed", sequence, "to " + replay.subject() + ": " + replay.stream()
                    + " sequence " + replay.sequence() + " " + job);
            case ALREADY_REPLAYED -> line("already replayed", sequence, "the server dropped " + id + " as a "
                    + "duplicate of an earlier replay inside " + replay.stream() + "'s duplicate window " + job);
            case NOT_REPLAYABLE -> line("not replayable", sequence, replay.detail() + " " + job);
            case REFUSED -> line("refused", sequence, replay.detail() + " " + job);
            case FAILED -> line("failed", sequence, "to " + replay.subject() + ": " + replay.detail() + " " + job);
        };
    }

    /** One line per dead letter: what happened, its sequence, the details. */
    private static String line(String what, long sequence, String details) {
        return String.format("%-16s %d %s", what, sequence, details);
    }

    private static String shortReason(DeadLetter letter) {
        String reason = DeadLetterFormat.escape(letter.reason(), false);
        return reason.length() <= DeadLetterFormat.LIST_REASON_CHARS ? reason
                : reason.substring(0, DeadLetterFormat.LIST_REASON_CHARS) + "...";
    }

    private String summary(Map<Replay.Status, Integer> counts, int missing) {
        int total = counts.values().stream().mapToInt(Integer::intValue).sum() + missing;
        if (total == 0) {
            return "no dead letters match";
        }
        int refused = counts.getOrDefault(Replay.Status.REFUSED, 0);
        String refusedToo = refused == 0 ? "" : " (" + refused + " refused: not a job subject)";
        if (dryRun) {
            return total + " dead letter(s) selected, " + counts.getOrDefault(Replay.Status.WOULD_REPLAY, 0)
                    + " would be replayed" + refusedToo + "; dry run, nothing was published or deleted";
        }
        return total + " dead letter(s): " + counts.getOrDefault(Replay.Status.REPLAYED, 0) + " replayed, "
                + counts.getOrDefault(Replay.Status.ALREADY_REPLAYED, 0) + " already replayed, "
                + (counts.getOrDefault(Replay.Status.FAILED, 0) + counts.getOrDefault(Replay.Status.NOT_REPLAYABLE, 0)
                + refused + missing) + " not replayed" + refusedToo;
    }
}
