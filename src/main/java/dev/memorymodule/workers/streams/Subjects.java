package dev.memorymodule.workers.streams;

/**
 * NATS subject patterns, as streams and consumers filter with them: tokens split on dots, {@code *} for one token,
 * {@code >} for one or more at the end.
 */
public final class Subjects {

    private Subjects() {
    }

    /** Whether the pattern matches the subject. */
    public static boolean matches(String pattern, String subject) {
        return within(subject, pattern);
    }

    /** Whether every subject that {@code inner} matches is matched by {@code outer} too. */
    public static boolean within(String inner, String outer) {
        String[] x = tokens(inner);
        String[] y = tokens(outer);
        for (int i = 0; i < y.length; i++) {
            if (y[i].equals(">")) {
                return x.length > i;
            }
            if (i >= x.length || x[i].equals(">")) {
                return false;
            }
            if (!y[i].equals("*") && (x[i].equals("*") || !x[i].equals(y[i]))) {
                return false;
            }
        }
        return x.length == y.length;
    }

    /** Whether some subject matches both patterns. */
    public static boolean overlap(String a, String b) {
        String[] x = tokens(a);
        String[] y = tokens(b);
        for (int i = 0; i < Math.min(x.length, y.length); i++) {
            if (x[i].equals(">") || y[i].equals(">")) {
                return true;
            }
            if (!x[i].equals("*") && !y[i].equals("*") && !x[i].equals(y[i])) {
                return false;
            }
        }
        return x.length == y.length;
    }

    // empty tokens are kept: "mm.online." is three tokens, the last one empty, as the server reads it
    private static String[] tokens(String subject) {
        return subject.split("\\.", -1);
    }
}
