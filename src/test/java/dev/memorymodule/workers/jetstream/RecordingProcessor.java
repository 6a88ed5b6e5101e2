package dev.memorymodule.workers.jetstream;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import org.apache.camel.Exchange;
import org.apache.camel.Processor;

/**
 * The route body of a test: it writes down every delivery it is handed, with what the consumer put on it, then
 * does what the test asked (succeed, throw, take its time). It also tracks how many exchanges run at once.
 */
final class RecordingProcessor implements Processor {

    /** What the test wants the route to do with one delivery. */
    @FunctionalInterface
    interface Behaviour {
        void apply(Exchange exchange, Delivery delivery) throws Exception;
    }

    /** One delivery as the route saw it. */
    record Delivery(long count, boolean last, long sequence, String subject, byte[] body, Map<String, Object> headers,
                    long arrivedNanos) {

        String text() {
            return new String(body, StandardCharsets.UTF_8);
        }
    }

    private final Behaviour behaviour;
    private final List<Delivery> deliveries = new CopyOnWriteArrayList<>();
    private final AtomicInteger running = new AtomicInteger();
    private final AtomicInteger mostRunning = new AtomicInteger();
    private final AtomicInteger finished = new AtomicInteger();

    RecordingProcessor(Behaviour behaviour) {
        this.behaviour = behaviour;
    }

    /** A route that succeeds at once. */
    static RecordingProcessor succeeding() {
        return new RecordingProcessor((exchange, delivery) -> { });
    }

    /** A route that works for the given time and then succeeds. */
    static RecordingProcessor working(long millis) {
        return new RecordingProcessor((exchange, delivery) -> Thread.sleep(millis));
    }

    @Override
    public void process(Exchange exchange) throws Exception {
        var in = exchange.getIn();
        Delivery delivery = new Delivery(
                in.getHeader(JetStreamConstants.DELIVERY_COUNT, Long.class),
                in.getHeader(JetStreamConstants.LAST_DELIVERY, Boolean.class),
                in.getHeader(JetStreamConstants.SEQUENCE, Long.class),
                in.getHeader(JetStreamConstants.SUBJECT, String.class),
                in.getBody(byte[].class),
                Map.copyOf(in.getHeaders()),
                System.nanoTime());
        deliveries.add(delivery);
        mostRunning.accumulateAndGet(running.incrementAndGet(), Math::max);
        try {
            behaviour.apply(exchange, delivery);
        } finally {
            running.decrementAndGet();
            finished.incrementAndGet();
        }
    }

    List<Delivery> deliveries() {
        return List.copyOf(deliveries);
    }

    int count() {
        return deliveries.size();
    }

    List<Long> deliveryCounts() {
        return deliveries.stream().map(Delivery::count).toList();
    }

    /** Exchanges that entered the route, finished or not. */
    int started() {
        return deliveries.size();
    }

    /** Exchanges that left the route, with or without an exception. */
    int finished() {
        return finished.get();
    }

    /** The most exchanges that were inside the route at the same time. */
    int mostRunning() {
        return mostRunning.get();
    }

    /** Milliseconds between the arrival of delivery {@code index - 1} and delivery {@code index}. */
    long gapMillis(int index) {
        return (deliveries.get(index).arrivedNanos() - deliveries.get(index - 1).arrivedNanos()) / 1_000_000;
    }
}
