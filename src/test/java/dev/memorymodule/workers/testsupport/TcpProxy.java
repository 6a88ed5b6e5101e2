package dev.memorymodule.workers.testsupport;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.SocketException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A TCP forwarder between a client under test and a real service, with switches for the ways a network
 * fails: {@link #cut()} (the store is gone, clients fail fast), {@link #freeze()} (the store is unreachable
 * but nothing says so, clients hang until their own timeouts fire) and {@link #slow(Duration)} (the store
 * answers, late).
 *
 * <p>Listens on a free loopback port; one thread per connection and direction.
 */
public final class TcpProxy implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(TcpProxy.class);

    private static final int BACKLOG = 50;
    private static final int BUFFER_SIZE = 16 * 1024;
    private static final Duration TARGET_CONNECT_TIMEOUT = Duration.ofSeconds(5);
    private static final Duration CLOSE_JOIN_TIMEOUT = Duration.ofSeconds(2);

    private enum Mode { FORWARD, SLOW, FROZEN, CUT }

    private final String targetHost;
    private final int targetPort;
    private final ServerSocket listener;
    private final Thread acceptor;
    private final Set<Link> links = ConcurrentHashMap.newKeySet();
    private final AtomicInteger linkIds = new AtomicInteger();
    // guards mode changes that frozen pumps wait on
    private final Object gate = new Object();
    private volatile Mode mode = Mode.FORWARD;
    private volatile Duration latency = Duration.ZERO;
    private volatile boolean closed;

    private TcpProxy(String targetHost, int targetPort) throws IOException {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
        this.listener = new ServerSocket(0, BACKLOG, InetAddress.getLoopbackAddress());
        this.acceptor = new Thread(this::acceptLoop, "tcp-proxy-" + listener.getLocalPort() + "-accept");
        acceptor.setDaemon(true);
    }

    /** Starts forwarding from a free loopback port to {@code targetHost:targetPort}. */
    public static TcpProxy start(String targetHost, int targetPort) {
        TcpProxy proxy;
        try {
            proxy = new TcpProxy(targetHost, targetPort);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot listen on the loopback interface", e);
        }
        proxy.acceptor.start();
        return proxy;
    }

    /** The loopback port clients connect to. */
    public int port() {
        return listener.getLocalPort();
    }

    /** Connections currently open through the proxy. */
    public int openConnections() {
        return links.size();
    }

    /**
     * Resets every open connection and every new one as soon as it is accepted: clients see a connection reset
     * at once, as when the service's host is gone.
     */
    public void cut() {
        setMode(Mode.CUT);
        links.forEach(Link::reset);
        LOG.debug("proxy {} cut", port());
    }

    /**
     * Stops moving bytes in both directions while keeping every connection open, and accepts new connections
     * without forwarding them either: clients wait until their own timeouts fire, as on a stalled network.
     */
    public void freeze() {
        setMode(Mode.FROZEN);
        LOG.debug("proxy {} frozen", port());
    }

    /**
     * Keeps forwarding, but holds every chunk of bytes for {@code oneWay} before passing it on, in both directions:
     * a request and its answer take at least twice that, as over a congested link. New connections are slowed
     * too. Chunks already waiting when the mode changes go on at once after {@link #restore()}.
     */
    public void slow(Duration oneWay) {
        if (oneWay.isNegative() || oneWay.isZero()) {
            throw new IllegalArgumentException("latency must be positive: " + oneWay);
        }
        latency = oneWay;
        setMode(Mode.SLOW);
        LOG.debug("proxy {} slowed by {} each way", port(), oneWay);
    }

    /**
     * Forwards again at full speed: new connections, the ones held open by {@link #freeze()}, which resume where
     * they were, and those slowed by {@link #slow(Duration)}.
     */
    public void restore() {
        setMode(Mode.FORWARD);
        LOG.debug("proxy {} restored", port());
    }

    @Override
    public void close() {
        closed = true;
        try {
            listener.close();
        } catch (IOException e) {
            // closing a listener fails only if it is already closed, which is what we want
        }
        cut();
        try {
            acceptor.join(CLOSE_JOIN_TIMEOUT.toMillis());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public String toString() {
        return "TcpProxy[127.0.0.1:" + port() + " -> " + targetHost + ":" + targetPort + ", " + mode + "]";
    }

    private void setMode(Mode newMode) {
        synchronized (gate) {
            mode = newMode;
            gate.notifyAll();
        }
    }

    private void acceptLoop() {
        while (!closed) {
            Socket client;
            try {
                client = listener.accept();
            } catch (IOException e) {
                // close() closes the listener to end this loop; any other failure ends it too
                if (!closed) {
                    LOG.warn("proxy {} stopped accepting", port(), e);
                }
                return;
            }
            if (mode == Mode.CUT) {
                resetQuietly(client);
                continue;
            }
            open(client);
        }
    }

    private void open(Socket client) {
        Socket target = new Socket();
        try {
            target.connect(new InetSocketAddress(targetHost, targetPort), (int) TARGET_CONNECT_TIMEOUT.toMillis());
            // small protocol messages must not wait for Nagle's algorithm at each hop
            client.setTcpNoDelay(true);
            target.setTcpNoDelay(true);
        } catch (IOException e) {
            LOG.debug("proxy {} cannot reach {}:{}", port(), targetHost, targetPort, e);
            resetQuietly(client);
            resetQuietly(target);
            return;
        }
        Link link = new Link(linkIds.incrementAndGet(), client, target);
        links.add(link);
        link.start();
    }

    private static void resetQuietly(Socket socket) {
        try {
            // linger 0 sends a reset instead of an orderly close, so the peer fails instead of reading EOF later
            socket.setSoLinger(true, 0);
        } catch (SocketException e) {
            // the socket is already closed; closing again below is harmless
        }
        closeQuietly(socket);
    }

    private static void closeQuietly(Socket socket) {
        try {
            socket.close();
        } catch (IOException e) {
            // nothing left to release
        }
    }

    /** One client connection and its connection to the target, with a pump thread per direction. */
    private final class Link {

        private final Socket client;
        private final Socket target;
        private final Thread upstream;
        private final Thread downstream;
        private final AtomicInteger finishedPumps = new AtomicInteger();
        private volatile boolean broken;

        Link(int id, Socket client, Socket target) {
            this.client = client;
            this.target = target;
            String prefix = "tcp-proxy-" + port() + "-" + id;
            this.upstream = new Thread(() -> pump(client, target), prefix + "-up");
            this.downstream = new Thread(() -> pump(target, client), prefix + "-down");
            upstream.setDaemon(true);
            downstream.setDaemon(true);
        }

        void start() {
            upstream.start();
            downstream.start();
        }

        void reset() {
            broken = true;
            synchronized (gate) {
                gate.notifyAll();
            }
            resetQuietly(client);
            resetQuietly(target);
        }

        private void pump(Socket from, Socket to) {
            byte[] buffer = new byte[BUFFER_SIZE];
            try {
                InputStream in = from.getInputStream();
                OutputStream out = to.getOutputStream();
                int read;
                while ((read = in.read(buffer)) >= 0) {
                    // bytes read while frozen are held here and delivered on restore, so no byte is lost
                    // the latency first, then the gate: a freeze or cut during the wait still applies to this chunk
                    if (!holdForLatency() || !awaitForwarding()) {
                        // cut while this connection was being opened: it must fail like the others
                        reset();
                        return;
                    }
                    out.write(buffer, 0, read);
                    out.flush();
                }
                // an orderly close on one side is passed on as a half-close, as the peers would see it directly
                to.shutdownOutput();
            } catch (IOException e) {
                reset();
            } finally {
                if (finishedPumps.incrementAndGet() == 2) {
                    // both sides said goodbye: a plain close, since a reset could drop bytes still in flight
                    closeQuietly(client);
                    closeQuietly(target);
                    links.remove(this);
                }
            }
        }

        private boolean awaitForwarding() {
            synchronized (gate) {
                while (mode == Mode.FROZEN && !broken) {
                    try {
                        gate.wait();
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                return !broken && (mode == Mode.FORWARD || mode == Mode.SLOW);
            }
        }

        /** In slow mode, waits out the latency of the chunk just read; false when the link broke meanwhile. */
        private boolean holdForLatency() {
            long until = System.nanoTime() + latency.toNanos();
            synchronized (gate) {
                // a mode change wakes the wait: restore lets the chunk go at once, cut ends the link
                while (mode == Mode.SLOW && !broken) {
                    long left = until - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    try {
                        gate.wait(Math.max(1, left / 1_000_000));
                    } catch (InterruptedException e) {
                        Thread.currentThread().interrupt();
                        return false;
                    }
                }
                return !broken;
            }
        }
    }
}
