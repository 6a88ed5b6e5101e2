package dev.memorymodule.workers.testsupport;

import io.nats.client.Connection;
import io.nats.client.Nats;

/**
 * A nats-server of its own with the project's streams made by {@code mm init-streams}, and no worker: for the
 * commands, whose effects stay in the streams to be counted.
 */
public final class StreamsServer implements AutoCloseable {

    private final NatsServer nats;
    private final Connection connection;
    private final MmCli mm;

    private StreamsServer(NatsServer nats, Connection connection, MmCli mm) {
        this.nats = nats;
        this.connection = connection;
        this.mm = mm;
    }

    public static StreamsServer start() throws Exception {
        NatsServer nats = NatsServer.start();
        try {
            Connection connection = Nats.connect(nats.url());
            MmCli mm = new MmCli(nats.url());
            MmCli.Run init = mm.run("init-streams");
            if (init.exitCode() != 0) {
                connection.close();
                throw new IllegalStateException("init-streams failed: " + init.out() + init.err());
            }
            return new StreamsServer(nats, connection, mm);
        } catch (Exception | Error e) {
            nats.close();
            throw e;
        }
    }

    public Connection connection() {
        return connection;
    }

    /** The {@code mm} command line, pointed at this server. */
    public MmCli mm() {
        return mm;
    }

    /** Messages the stream holds now. */
    public long messages(String stream) throws Exception {
        return connection.jetStreamManagement().getStreamInfo(stream).getStreamState().getMsgCount();
    }

    @Override
    public void close() throws Exception {
        try {
            connection.close();
        } finally {
            nats.close();
        }
    }
}
