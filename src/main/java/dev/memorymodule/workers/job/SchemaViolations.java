package dev.memorymodule.workers.job;

import com.fasterxml.jackson.databind.JsonNode;
import com.networknt.schema.ValidationMessage;
import java.util.Map;

/**
 * Rewrites the schema library's findings as violations a person can act on. The library's own sentences read
 * "does not match the uuid pattern must be a valid RFC 4122 UUID" and never quote the offending value; these say
 * what was found and what is expected instead.
 */
final class SchemaViolations {

    /** Values longer than this are cut in messages: a dead letter's reason should stay one readable line. */
    private static final int MAX_QUOTED_LENGTH = 80;

    private static final String ELLIPSIS = "...";

    /** What each format of the job schema expects, with an example a publisher can copy. */
    private static final Map<String, String> FORMAT_EXPECTATIONS = Map.of(
            UlidFormat.NAME, "ULID (26 Crockford base32 characters)",
            "uuid", "UUID (8-4-4-4-12 hexadecimal digits, e.g. 550e8400-e29b-41d4-a716-446655440000)",
            "date-time", "date-time (RFC 3339 with a time zone, e.g. 2026-01-10T19:30:00Z)",
            "uri", "URI (RFC 3986, absolute with a scheme, e.g. s3://bucket/key)");

    private SchemaViolations() {
    }

    static Violation from(ValidationMessage finding) {
        String path = finding.getInstanceLocation().toString();
        String keyword = finding.getType();
        return new Violation(path, keyword, describe(finding, keyword, path));
    }

    /** A JSON value as it appeared in the payload (strings quoted), cut to {@link #MAX_QUOTED_LENGTH}. */
    static String quote(JsonNode value) {
        String text = String.valueOf(value);
        if (text.length() <= MAX_QUOTED_LENGTH) {
            return text;
        }
        return text.substring(0, MAX_QUOTED_LENGTH - ELLIPSIS.length()) + ELLIPSIS;
    }

    private static String describe(ValidationMessage finding, String keyword, String path) {
        Object[] arguments = finding.getArguments();
        String value = quote(finding.getInstanceNode());
        switch (keyword) {
            case "required":
                String property = finding.getProperty() != null ? finding.getProperty() : argument(arguments, 0);
                return "required property '" + property + "' is missing";
            case "format":
                String format = argument(arguments, 0);
                return value + " is not a valid " + FORMAT_EXPECTATIONS.getOrDefault(format, format);
            case "enum":
                return value + " is not one of " + argument(arguments, 0);
            case "type":
                String found = argument(arguments, 0);
                // a null is its own type: "found null", not "found null null"
                return "expected " + argument(arguments, 1) + ", found " + found
                        + ("null".equals(found) ? "" : " " + value);
            case "pattern":
                return value + " does not match the pattern " + argument(arguments, 0);
            case "minimum":
                return value + " is less than the minimum " + argument(arguments, 0);
            default:
                return withoutPath(finding.getMessage(), path);
        }
    }

    private static String argument(Object[] arguments, int index) {
        return arguments != null && arguments.length > index ? String.valueOf(arguments[index]) : "?";
    }

    /** The library starts every message with the instance path, which the violation already carries. */
    private static String withoutPath(String message, String path) {
        String prefix = path + ": ";
        return message.startsWith(prefix) ? message.substring(prefix.length()) : message;
    }
}
