package dev.memorymodule.workers.testsupport;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.ServerSocket;

/** Free TCP ports on the loopback interface, for servers that must be told their port before they start. */
public final class FreePorts {

    private FreePorts() {
    }

    /**
     * A port nobody listened on a moment ago. Another process may rarely take it before the caller binds it;
     * callers that cannot bind it should pick again.
     */
    public static int pick() {
        try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return socket.getLocalPort();
        } catch (IOException e) {
            throw new UncheckedIOException("no free port on the loopback interface", e);
        }
    }
}
