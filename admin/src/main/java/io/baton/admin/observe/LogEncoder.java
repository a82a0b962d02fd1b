package io.baton.admin.observe;

import ch.qos.logback.classic.encoder.JsonEncoder;
import ch.qos.logback.classic.encoder.PatternLayoutEncoder;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.encoder.Encoder;
import ch.qos.logback.core.encoder.EncoderBase;
import java.util.Locale;

/**
 * The log format, chosen at start by {@code BATON_LOG_FORMAT} (logback.xml passes it as
 * {@code format}): {@code human} (the default) is one readable line per event; {@code json} is one
 * JSON object per line from logback's own {@link JsonEncoder}: timestamp, level, thread, logger,
 * formatted message, MDC and key-value pairs, and the throwable with its stack.
 */
public final class LogEncoder extends EncoderBase<ILoggingEvent> {
    public static final String HUMAN_PATTERN = "%d{HH:mm:ss.SSS} %-5level %logger{0} - %msg%n";

    private String format = "human";
    private String pattern = HUMAN_PATTERN;
    private Encoder<ILoggingEvent> delegate;

    /** {@code human} or {@code json} (case-insensitive); anything else is human, with a warning. */
    public void setFormat(String format) {
        this.format = format == null ? "human" : format.trim().toLowerCase(Locale.ROOT);
    }

    public void setPattern(String pattern) {
        this.pattern = pattern;
    }

    public boolean isJson() {
        return "json".equals(format);
    }

    @Override
    public void start() {
        if (isJson()) {
            JsonEncoder json = new JsonEncoder();
            json.setWithSequenceNumber(false);
            json.setWithNanoseconds(false);
            json.setWithContext(false);
            json.setWithMessage(false);      // the template with its {} ...
            json.setWithArguments(false);    // ... and the raw arguments: the formatted message says it all
            json.setWithFormattedMessage(true);
            delegate = json;
        } else {
            if (!format.isEmpty() && !"human".equals(format)) {
                addWarn("log format '" + format + "' is neither human nor json; using human");
            }
            PatternLayoutEncoder human = new PatternLayoutEncoder();
            human.setPattern(pattern);
            delegate = human;
        }
        delegate.setContext(getContext());
        delegate.start();
        super.start();
    }

    @Override
    public void stop() {
        if (delegate != null) {
            delegate.stop();
        }
        super.stop();
    }

    @Override
    public byte[] headerBytes() {
        return delegate.headerBytes();
    }

    @Override
    public byte[] encode(ILoggingEvent event) {
        return delegate.encode(event);
    }

    @Override
    public byte[] footerBytes() {
        return delegate.footerBytes();
    }
}
