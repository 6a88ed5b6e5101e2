package main;

import org.apache.camel.dsl.jbang.core.commands.CamelJBangMain;

/**
 * Starts the {@code camel} command line of camel-jbang-core, which has none of its own. The package and class name
 * are those of the class the jbang tool generates for {@code camel@apache/camel}: {@code camel ps}, {@code camel top}
 * and {@code camel get} look for {@code main.CamelJBang run} in a process's command line to tell a {@code camel run}.
 */
public final class CamelJBang {

    private CamelJBang() {
    }

    public static void main(String[] args) {
        // runs the command and exits the JVM with its status
        CamelJBangMain.run(args);
    }
}
