package dev.memorymodule.workers.embed;

import java.util.List;

import dev.memorymodule.workers.job.PermanentJobException;

/**
 * What a job's {@code input.text} must satisfy before any work: at least one text, at most {@code maxTexts},
 * none longer than {@code maxChars} and none holding a NUL character (PostgreSQL text cannot store it, and
 * no tokenizer gives it meaning). Failing any is permanent: the same job would fail the same way again.
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
        }
        return texts;
    }
}
