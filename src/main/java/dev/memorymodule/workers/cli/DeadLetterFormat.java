package dev.memorymodule.workers.cli;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.List;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.memorymodule.workers.dlq.DeadLetter;

/**
 * How dead letters are shown to a person: one line each in a list, and in full for inspection. What a job holds
 * is not trusted to be printable: control characters are escaped, and bytes that are not UTF-8 are shown in hex.
 */
final class DeadLetterFormat {

    /** A reason in a list line is cut here; {@code mm dlq inspect} shows it whole. */
    static final int LIST_REASON_CHARS = 160;
    private static final int HEX_ROW = 16;

    /**
     * Duplicate keys and trailing content would vanish in a pretty print of what Jackson leniently read, and those
     * are often why the job is here: such a payload is shown as text instead.
     */
    private static final ObjectMapper STRICT = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    private DeadLetterFormat() {
    }

    static String listHeader() {
        return String.format("%8s  %-20s  %-24s  %-26s  %-13s  %s", "SEQ", "TIME", "SUBJECT", "JOB", "OUTCOME",
                "REASON");
    }

    static String listLine(DeadLetter letter) {
        String reason = letter.reason();
        if (reason.length() > LIST_REASON_CHARS) {
            reason = reason.substring(0, LIST_REASON_CHARS) + "...";
        }
        return String.format("%8d  %-20s  %-24s  %-26s  %-13s  %s", letter.sequence(), time(letter),
                escape(letter.subject(), false), escape(letter.jobId().orElse("-"), false),
                orDash(letter.outcome()), escape(reason, false));
    }

    /** Everything about one dead letter; the job cut at {@code maxChars} unless that is 0. */
    static List<String> details(DeadLetter letter, String stream, int maxChars) {
        StringBuilder out = new StringBuilder();
        out.append("sequence   ").append(letter.sequence()).append(" in ").append(stream).append('\n');
        out.append("time       ").append(time(letter)).append('\n');
        out.append("subject    ").append(escape(letter.subject(), false)).append('\n');
        out.append("headers\n");
        for (String name : letter.headers().keySet()) {
            for (String value : letter.headers().get(name)) {
                out.append("  ").append(escape(name, false)).append(": ").append(escape(value, false)).append('\n');
            }
        }
        Body body = body(letter.data());
        out.append("job        ").append(letter.data().length).append(" bytes, ").append(body.kind()).append('\n');
        String text = body.text();
        if (maxChars > 0 && text.length() > maxChars) {
            text = text.substring(0, maxChars) + "\n... " + (text.length() - maxChars)
                    + " more characters (--full shows all, --raw writes the job as it is)";
        }
        out.append(text);
        return out.toString().lines().toList();
    }

    /** What the job's bytes are, and how they read best. */
    record Body(String kind, String text) {
    }

    static Body body(byte[] data) {
        if (data.length == 0) {
            return new Body("empty", "");
        }
        String text;
        try {
            text = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT).decode(ByteBuffer.wrap(data)).toString();
        } catch (CharacterCodingException e) {
            return new Body("not UTF-8, in hex", hex(data));
        }
        try {
            JsonNode json = STRICT.readTree(text);
            if (json != null && !json.isMissingNode()) {
                // JSON escapes C0 controls but not C1 ones or format characters, which some terminals act on
                return new Body("JSON", escape(STRICT.writerWithDefaultPrettyPrinter().writeValueAsString(json), true));
            }
        } catch (Exception e) {
            // not JSON as a worker reads it: shown as the text it is
        }
        return new Body("text, not JSON (control characters escaped)", escape(text, true));
    }

    /** Control and other invisible characters as escapes, so a job cannot rewrite the operator's terminal. */
    static String escape(String text, boolean keepLineBreaks) {
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (keepLineBreaks && c == '\n') {
                out.append(c);
            } else if (Character.isISOControl(c) || Character.getType(c) == Character.FORMAT) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    static String hex(byte[] data) {
        StringBuilder out = new StringBuilder();
        for (int row = 0; row < data.length; row += HEX_ROW) {
            out.append(String.format("%08x ", row));
            StringBuilder ascii = new StringBuilder();
            for (int i = row; i < row + HEX_ROW; i++) {
                if (i < data.length) {
                    int b = data[i] & 0xff;
                    out.append(String.format(" %02x", b));
                    ascii.append(b >= 0x20 && b < 0x7f ? (char) b : '.');
                } else {
                    out.append("   ");
                }
            }
            out.append("  |").append(ascii).append("|\n");
        }
        return out.toString();
    }

    private static String time(DeadLetter letter) {
        return DateTimeFormatter.ISO_INSTANT.format(letter.time().truncatedTo(ChronoUnit.SECONDS));
    }

    private static String orDash(String value) {
        return value == null || value.isEmpty() ? "-" : value;
    }
}
