package dev.memorymodule.workers.job;

import com.github.f4b6a3.ulid.Ulid;
import com.networknt.schema.ExecutionContext;
import com.networknt.schema.Format;

/**
 * The {@code ulid} format of the job schema: 26 characters of Crockford's base32, the first one 0-7 so that the
 * value fits in 128 bits.
 *
 * <p>Lowercase is accepted: the ULID specification makes decoding case-insensitive and common generators emit
 * lowercase. The decoding aliases {@code I}, {@code L} and {@code O} (read as 1, 1 and 0), which ulid-creator also
 * accepts, are rejected: no encoder produces them, and they would give one ULID several spellings.
 */
final class UlidFormat implements Format {

    static final String NAME = "ulid";

    /** Crockford's alphabet without the aliases, in both cases; ulid-creator checks the length and first character. */
    private static final String ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZabcdefghjkmnpqrstvwxyz";

    @Override
    public String getName() {
        return NAME;
    }

    @Override
    public boolean matches(ExecutionContext executionContext, String value) {
        return isUlid(value);
    }

    static boolean isUlid(String value) {
        if (value == null || !Ulid.isValid(value)) {
            return false;
        }
        for (int i = 0; i < value.length(); i++) {
            if (ALPHABET.indexOf(value.charAt(i)) < 0) {
                return false;
            }
        }
        return true;
    }
}
