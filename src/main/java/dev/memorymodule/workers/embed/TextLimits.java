package dev.memorymodule.workers.embed;

import java.util.List;

import dev.memorymodule.workers.job.PermanentJobException;

/**
 * What a job's {@code input.text} must satisfy before any work: at least one text, at most {@code maxTexts},
 * none longer than {@code maxChars}, none holding a NUL character (PostgreSQL text cannot store it, and
 * no tokenizer gives it meaning) and none holding half of a UTF-16 surrogate pair (a JSON escape can write one;
 * encoded for a store it becomes {@code ?}, so the stored text would silently differ from the job's). Failing any is permanent: the same job would fail the same way again.
 */
public record TextLimits(int maxTexts, int maxChars) {

    public List<String> check(List<String> texts) {
        if (texts.isEmpty()) {
            throw new PermanentJobException("input.text is missing or empty: this job needs at least one text");
        }
        if (texts.size() > maxTexts) {
            throw new PermanentJobException("input.text has " + texts.size() + " texts; at most " + maxTexts
                    + " are accepted in one job");
        }
        for (int i = 0; i < texts.size(); i++) {
            String text = texts.get(i);
            if (text.length() > maxChars) {
                throw new PermanentJobException("input.text[" + i + "] has " + text.length()
                        + " characters; at most " + maxChars + " are accepted");
            }
            if (text.indexOf('\u0000') >= 0) {
                throw new PermanentJobException("input.text[" + i + "] contains a NUL character");
            }
            int lone = loneSurrogate(text);
            if (lone >= 0) {
                throw new PermanentJobException("input.text[" + i + "] has an unpaired UTF-16 surrogate (\\u"
                        + String.format("%04x", (int) text.charAt(lone)) + ") at character " + lone
                        + ": JSON allows the escape, but it is no character, and a store would keep a ? in its place");
            }
        }
        return texts;
    }

    /** Where the first surrogate without its partner is, or -1. */
    private static int loneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                    continue;
                }
                return i;
            }
            if (Character.isLowSurrogate(c)) {
                return i;
            }
        }
        return -1;
    }
}
