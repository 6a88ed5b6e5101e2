package dev.memorymodule.workers.faults;

import java.util.List;

import io.nats.client.JetStreamApiException;
import io.nats.client.JetStreamManagement;

/** The three work streams and the durable consumer the workers' pool binds on each. */
final class WorkStreams {

    private static final List<String> LANES = List.of("online", "offline", "write");

    /** A work stream and its pool's consumer. */
    record Lane(String stream, String durable) {
    }

    private final List<Lane> lanes;

    WorkStreams(WorkerSettings settings) {
        String pool = settings.get("mm.worker.pool");
        this.lanes = LANES.stream()
                .map(lane -> new Lane(settings.get("mm.streams." + lane + ".name"), pool + "-" + lane))
                .toList();
    }

    List<Lane> lanes() {
        return lanes;
    }

    /** Job messages still in the work streams: waiting, held by a worker, or waiting for redelivery. */
    long messagesLeft(JetStreamManagement management) throws Exception {
        long left = 0;
        for (Lane lane : lanes) {
            left += management.getStreamInfo(lane.stream()).getStreamState().getMsgCount();
        }
        return left;
    }

    /** Deliveries beyond one per stored message: each consumer's delivery count less the messages it had. */
    long redeliveries(JetStreamManagement management) throws Exception {
        long redeliveries = 0;
        for (Lane lane : lanes) {
            long stored = management.getStreamInfo(lane.stream()).getStreamState().getLastSequence();
            long delivered;
            try {
                delivered = management.getConsumerInfo(lane.stream(), lane.durable()).getDelivered()
                        .getConsumerSequence();
            } catch (JetStreamApiException e) {
                // no worker ever bound this lane: nothing was delivered
                delivered = 0;
            }
            redeliveries += Math.max(0, delivered - stored);
        }
        return redeliveries;
    }
}
