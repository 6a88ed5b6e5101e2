package dev.memorymodule.workers.jetstream;

import java.util.Map;

import io.nats.client.JetStream;
import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamOptions;
import io.nats.client.PublishOptions;
import io.nats.client.api.PublishAck;
import io.nats.client.impl.Headers;
import org.apache.camel.Exchange;
import org.apache.camel.Message;
import org.apache.camel.support.DefaultProducer;

/**
 * Publishes the message body. To a stream, it returns only after the server acknowledged storing it, so a route
 * that publishes an outcome and then completes has made the outcome durable before the job is acked.
 */
public class JetStreamProducer extends DefaultProducer {

    /** The server's code for a message over its stream's maximum message size. */
    private static final int STREAM_MESSAGE_TOO_LARGE = 10054;

    private final JetStreamEndpoint endpoint;
    private JetStream jetStream;

    public JetStreamProducer(JetStreamEndpoint endpoint) {
        super(endpoint);
        this.endpoint = endpoint;
    }

    @Override
    protected void doStart() throws Exception {
        super.doStart();
        JetStreamComponent component = endpoint.getComponent();
        jetStream = component.connection().jetStream(
                JetStreamOptions.builder().requestTimeout(component.requestTimeoutDuration()).build());
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        Message in = exchange.getIn();
        String subject = in.getHeader(JetStreamConstants.SUBJECT, endpoint.getSubject(), String.class);
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("no subject to publish on: set header " + JetStreamConstants.SUBJECT
                    + " or the endpoint's subject option");
        }
        byte[] body = in.getMandatoryBody(byte[].class);
        Headers headers = natsHeaders(in);
        checkSize(subject, body, headers);

        if (endpoint.isCore()) {
            try {
                endpoint.getComponent().connection().publish(subject, headers, body);
            } catch (IllegalArgumentException e) {
                throw tooLargeOrElse(subject, e);
            }
            return;
        }
        PublishOptions.Builder options = PublishOptions.builder().expectedStream(endpoint.getStream());
        String msgId = in.getHeader(JetStreamConstants.MSG_ID, String.class);
        if (msgId != null && !msgId.isBlank()) {
            options.messageId(msgId);
        }
        PublishAck ack;
        try {
            ack = jetStream.publish(subject, headers, body, options.build());
        } catch (JetStreamApiException e) {
            if (e.getApiErrorCode() == STREAM_MESSAGE_TOO_LARGE) {
                throw new MessageTooLargeException("the message for " + subject + " is " + body.length
                        + " bytes, more than stream " + endpoint.getStream() + " accepts (" + e.getMessage() + ")", e);
            }
            throw e;
        } catch (IllegalArgumentException e) {
            throw tooLargeOrElse(subject, e);
        }
        in.setHeader(JetStreamConstants.PUBLISHED_SEQUENCE, ack.getSeqno());
        in.setHeader(JetStreamConstants.DUPLICATE, ack.isDuplicate());
    }

    /**
     * A message over the server's max_payload would be refused by the client library with a plain argument error,
     * which reads as a fault worth retrying; it is one no retry can fix.
     */
    private void checkSize(String subject, byte[] body, Headers headers) {
        long maxPayload = endpoint.getComponent().connection().getMaxPayload();
        long size = (long) body.length + headers.serializedLength();
        if (maxPayload > 0 && size > maxPayload) {
            throw new MessageTooLargeException("the message for " + subject + " is " + size + " bytes, more than the "
                    + maxPayload + " bytes the NATS server accepts (max_payload)");
        }
    }

    /**
     * jnats checks max_payload itself too, against the server it is connected to now; after a reconnect to one with
     * a lower limit its refusal can come before {@link #checkSize} sees the new limit.
     */
    private static RuntimeException tooLargeOrElse(String subject, IllegalArgumentException e) {
        String message = String.valueOf(e.getMessage());
        if (message.contains("payload size exceed")) {
            return new MessageTooLargeException("the message for " + subject + " is more than the NATS server "
                    + "accepts (max_payload): " + message, e);
        }
        return e;
    }

    private Headers natsHeaders(Message in) {
        Headers headers = new Headers();
        String prefix = endpoint.getHeaderPrefix();
        for (Map.Entry<String, Object> header : in.getHeaders().entrySet()) {
            Object value = header.getValue();
            if (value != null && prefix != null && !prefix.isEmpty() && header.getKey().startsWith(prefix)) {
                headers.put(header.getKey(), singleLine(value.toString()));
            }
        }
        return headers;
    }

    /**
     * NATS header values are one line of printable ASCII: line breaks become spaces and anything else outside
     * that range is escaped as {@code \\uXXXX}, so a reason quoting a non-English job text still travels.
     */
    static String singleLine(String value) {
        StringBuilder out = new StringBuilder(value.length());
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '\r' || c == '\n' || c == '\t') {
                out.append(' ');
            } else if (c < 0x20 || c > 0x7e) {
                out.append(String.format("\\u%04x", (int) c));
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }
}
