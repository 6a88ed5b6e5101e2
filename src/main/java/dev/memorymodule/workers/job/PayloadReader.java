package dev.memorymodule.workers.job;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonLocation;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.core.exc.StreamConstraintsException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CoderResult;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * Turns the bytes of a message into one JSON object, or rejects them with the one reason they cannot be a job.
 * Thread-safe: the mapper is configured once and only read afterwards.
 */
final class PayloadReader {

    /** Parse failures, including bytes that are not UTF-8 and content after the document. */
    static final String KEYWORD_JSON = "json";
    /** A well-formed payload that is larger or deeper than this worker accepts. */
    static final String KEYWORD_LIMIT = "limit";
    /** The document is JSON but not an object. */
    static final String KEYWORD_TYPE = "type";

    private static final String ROOT = "$";

    /**
     * Longest number literal, in characters. Jobs carry small integers only; Jackson's default (1000) lets a payload
     * make the parser build big numbers, whose cost grows faster than their length.
     */
    private static final int MAX_NUMBER_LENGTH = 64;

    /** Longest property name; the schema's own names are short, and unknown ones are tolerated but not unbounded. */
    private static final int MAX_NAME_LENGTH = 1_024;

    /**
     * Parts of Jackson's messages that speak to the reader's programmer, not to the publisher of the job: the
     * accessor of a limit, a feature that would allow the input, and the redacted source of a nested location.
     */
    private static final Pattern PARSER_HINTS = Pattern.compile(",? from `[^`]*`|: enable `[^`]*` to allow");
    private static final Pattern REDACTED_SOURCE = Pattern.compile("\\[Source: .*?; line: (\\d+), column: (\\d+)]");

    private static final Pattern PLAIN_NAME = Pattern.compile("[A-Za-z_][A-Za-z0-9_]*");

    /**
     * Jackson's refusal of a long string. The length it quotes is how far it had read when it gave up, not the
     * length of the string, and the position is where it stopped, somewhere inside it.
     */
    private static final Pattern STRING_TOO_LONG = Pattern.compile("^String value length \\(\\d+\\) exceeds");

    private final ObjectMapper mapper;
    private final int maxStringLength;

    PayloadReader(int maxNestingDepth, int maxStringLength) {
        this.maxStringLength = maxStringLength;
        StreamReadConstraints constraints = StreamReadConstraints.builder()
                .maxNestingDepth(maxNestingDepth)
                .maxStringLength(maxStringLength)
                .maxNumberLength(MAX_NUMBER_LENGTH)
                .maxNameLength(MAX_NAME_LENGTH)
                .build();

        // A repeated key would let two readers of one job see different tenants; Jackson keeps the last by default.
        JsonFactory factory = JsonFactory.builder()
                .streamReadConstraints(constraints)
                .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
                .build();
        this.mapper = JsonMapper.builder(factory).build();
    }

    /**
     * @return the payload as a JSON object
     * @throws JobRejectedException with a single violation when the payload is not UTF-8, not JSON, not within the
     *                              limits, followed by more content, or not an object
     */
    JsonNode read(byte[] payload) {
        String text = decodeUtf8(payload == null ? new byte[0] : payload);

        JsonNode document;
        try (JsonParser parser = mapper.createParser(text)) {
            document = mapper.readTree(parser);
            if (document != null) {
                rejectTrailingContent(parser, text);
            }
        } catch (StreamConstraintsException e) {
            if (STRING_TOO_LONG.matcher(e.getOriginalMessage()).find()) {
                throw reject(KEYWORD_LIMIT, "payload exceeds a limit of this worker: a string value is longer than the "
                        + maxStringLength + " characters a job may hold");
            }
            throw reject(KEYWORD_LIMIT, "payload exceeds a limit of this worker " + where(e.getLocation()) + ": "
                    + readable(e));
        } catch (JsonProcessingException e) {
            throw reject(KEYWORD_JSON, "payload is not valid JSON " + where(e.getLocation()) + ": " + readable(e));
        } catch (IOException e) {
            // the source is a string in memory: nothing here does real I/O
            throw new UncheckedIOException(e);
        }

        if (document == null || document.isMissingNode()) {
            throw reject(KEYWORD_JSON, "payload is not valid JSON: it is empty");
        }
        if (!document.isObject()) {
            throw reject(KEYWORD_TYPE, "a job must be a JSON object, found "
                    + document.getNodeType().name().toLowerCase(Locale.ROOT));
        }
        rejectInfiniteNumbers(document, ROOT);
        return document;
    }

    /**
     * Jackson reads a number beyond the range of a double, such as {@code 1e400}, as infinity, and the schema
     * library then fails with an exception instead of a finding. Such a number is no valid value anywhere in a job.
     */
    private static void rejectInfiniteNumbers(JsonNode node, String path) {
        if (node.isFloatingPointNumber() && !Double.isFinite(node.doubleValue())) {
            throw new JobRejectedException(List.of(new Violation(path, KEYWORD_LIMIT,
                    "number is too large to be read (beyond the range of a double)")));
        }
        if (node.isArray()) {
            for (int i = 0; i < node.size(); i++) {
                rejectInfiniteNumbers(node.get(i), path + "[" + i + "]");
            }
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> property : node.properties()) {
                rejectInfiniteNumbers(property.getValue(), childPath(path, property.getKey()));
            }
        }
    }

    /** JSONPath notation, as in the schema findings: dotted names where they are plain, brackets otherwise. */
    private static String childPath(String parent, String name) {
        if (PLAIN_NAME.matcher(name).matches()) {
            return parent + "." + name;
        }
        return parent + "['" + name.replace("\\", "\\\\").replace("'", "\\'") + "']";
    }

    /**
     * The parser stops at the end of the first value; anything but white space after it is a second value or
     * garbage, which Jackson would otherwise ignore. The position reported is where that content starts.
     */
    private static void rejectTrailingContent(JsonParser parser, String text) {
        int end = (int) parser.currentLocation().getCharOffset();
        int line = parser.currentLocation().getLineNr();
        int column = parser.currentLocation().getColumnNr();
        for (int i = end; i < text.length(); i++) {
            char c = text.charAt(i);
            if (c == '\n') {
                line++;
                column = 1;
            } else if (c == ' ' || c == '\t' || c == '\r') {
                column++;
            } else {
                throw reject(KEYWORD_JSON, "payload is not valid JSON: unexpected content after the end of the job "
                        + "at line " + line + ", column " + column);
            }
        }
    }

    /**
     * Decodes strictly: Jackson alone would guess UTF-16 or UTF-32 from the first bytes, and the job format is UTF-8
     * only.
     */
    private static String decodeUtf8(byte[] payload) {
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(payload);
        // UTF-8 never yields more chars than it has bytes
        CharBuffer out = CharBuffer.allocate(payload.length);

        CoderResult result = decoder.decode(in, out, true);
        if (!result.isError()) {
            result = decoder.flush(out);
        }
        if (result.isError()) {
            throw reject(KEYWORD_JSON, "payload is not valid JSON: it is not UTF-8 (invalid byte sequence at "
                    + "byte offset " + in.position() + ")");
        }
        return out.flip().toString();
    }

    private static String readable(JsonProcessingException e) {
        String message = PARSER_HINTS.matcher(e.getOriginalMessage()).replaceAll("");
        return REDACTED_SOURCE.matcher(message).replaceAll("line $1, column $2");
    }

    private static String where(JsonLocation location) {
        if (location == null || location.getLineNr() < 1) {
            return "(position unknown)";
        }
        return "at line " + location.getLineNr() + ", column " + location.getColumnNr();
    }

    private static JobRejectedException reject(String keyword, String message) {
        return new JobRejectedException(List.of(new Violation(ROOT, keyword, message)));
    }
}
