package dev.memorymodule.workers.testsupport;

import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;

/**
 * Every log line of this JVM while open, with the MDC it was written under: for checking what an operator finds
 * in the worker's log, not only what it does.
 */
public final class LogCapture extends AbstractAppender implements AutoCloseable {

    /** One line as logged: its logger, message and MDC. */
    public record Line(String logger, String message, Map<String, String> mdc) {
    }

    private final List<Line> lines = new CopyOnWriteArrayList<>();

    private LogCapture() {
        super("capture-" + System.nanoTime(), null, null, true, Property.EMPTY_ARRAY);
    }

    /** Starts capturing at INFO and above, from every logger. */
    public static LogCapture open() {
        LogCapture capture = new LogCapture();
        capture.attach();
        return capture;
    }

    private void attach() {
        start();
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        // the configured loggers pass their events on to the root's appenders, so the root is enough
        configuration.getRootLogger().addAppender(this, Level.INFO, null);
        context.updateLoggers();
    }

    @Override
    public void append(LogEvent event) {
        lines.add(new Line(event.getLoggerName(), event.getMessage().getFormattedMessage(),
                Map.copyOf(event.getContextData().toMap())));
    }

    /** The lines whose message names the text, a job id for instance. */
    public List<Line> mentioning(String text) {
        return lines.stream().filter(line -> line.message().contains(text)).toList();
    }

    @Override
    public void close() {
        LoggerContext context = (LoggerContext) LogManager.getContext(false);
        Configuration configuration = context.getConfiguration();
        configuration.getRootLogger().removeAppender(getName());
        context.updateLoggers();
        stop();
    }
}
