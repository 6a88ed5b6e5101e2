package dev.memorymodule.workers.job;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

import javax.sql.DataSource;

import dev.memorymodule.workers.jetstream.JetStreamConstants;
import org.apache.camel.Exchange;
import org.apache.camel.spi.IdempotentRepository;
import org.apache.camel.support.service.ServiceSupport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The idempotency repository of the job lifecycle, in PostgreSQL so that every worker of the fleet shares it and
 * it outlives restarts and the server's de-duplication window.
 * <p>
 * Keys are unique within an org ({@code tenant.org_id}): two orgs may use the same key without meeting.
 * <p>
 * Unlike a plain set of seen keys, a key is first <em>claimed</em> for the job that runs it and only marked
 * completed once the job's outcome is durable. A worker that dies while holding a job leaves a claim behind;
 * the claim gives way when JetStream redelivers the same job (a higher delivery count proves the first holder
 * lost it) or when its lease runs out; a live worker renews the leases of the jobs it runs. Another job with the
 * same key that arrives while the claim is live is neither run nor reported as a duplicate: it fails transiently,
 * naming when the lease runs out, and is tried again later. A completion outlasts a database that is away at that
 * moment: it is tried again for as long as the claim's lease holds.
 * <p>
 * Outcomes: {@code add} true means run the job; false means the key completed before (a duplicate, with the
 * original job id in {@link #DUPLICATE_OF}).
 */
public class JobLedger extends ServiceSupport implements IdempotentRepository {

    /** Exchange property: the job id that completed this idempotency key first. */
    public static final String DUPLICATE_OF = "mm.duplicateOf";

    private static final Logger LOG = LoggerFactory.getLogger(JobLedger.class);
    /** A retry waiting for another claim's lease to run out comes this much after it. */
    private static final Duration LEASE_SLACK = Duration.ofSeconds(1);
    /** Pauses between attempts to record a completion while the database is away: doubling, up to the most. */
    private static final Duration FIRST_COMPLETION_PAUSE = Duration.ofMillis(250);
    private static final Duration MOST_COMPLETION_PAUSE = Duration.ofSeconds(2);

    private static final String CLAIM = """
            INSERT INTO job_ledger AS l (org_id, idempotency_key, job_id, status, owner, delivery, lease_until)
            VALUES (?, ?, ?, 'running', ?, ?, now() + make_interval(secs => ?))
            ON CONFLICT (org_id, idempotency_key) DO UPDATE
               SET job_id = EXCLUDED.job_id, owner = EXCLUDED.owner, delivery = EXCLUDED.delivery,
                   lease_until = EXCLUDED.lease_until
             WHERE l.status = 'running'
               AND (l.lease_until < now() OR (l.job_id = EXCLUDED.job_id AND l.delivery < EXCLUDED.delivery))
            RETURNING status""";
    private static final String CURRENT = """
            SELECT status, job_id, owner, greatest(extract(epoch FROM lease_until - now()), 0) AS lease_left
              FROM job_ledger WHERE org_id = ? AND idempotency_key = ?""";
    private static final String COMPLETE = """
            UPDATE job_ledger SET status = 'completed', completed_at = now()
             WHERE org_id = ? AND idempotency_key = ? AND job_id = ? AND status = 'running'""";
    private static final String RENEW = """
            UPDATE job_ledger AS l SET lease_until = now() + make_interval(secs => ?)
              FROM unnest(?::text[], ?::text[], ?::text[]) AS h(org_id, idempotency_key, job_id)
             WHERE l.org_id = h.org_id AND l.idempotency_key = h.idempotency_key AND l.job_id = h.job_id
               AND l.owner = ? AND l.status = 'running'
            RETURNING l.org_id, l.idempotency_key""";
    private static final String RELEASE = """
            DELETE FROM job_ledger
             WHERE org_id = ? AND idempotency_key = ? AND job_id = ? AND owner = ? AND status = 'running'""";

    private final DataSource dataSource;
    private final String owner;
    private final Duration lease;
    /** The keys this worker has claimed for jobs still running, with their job ids: their leases are renewed. */
    private final Map<OrgKey, String> held = new ConcurrentHashMap<>();
    private ScheduledExecutorService renewer;

    /**
     * @param dataSource the shared database
     * @param owner      this worker's id, recorded with its claims
     * @param lease      how long a claim holds against other jobs with the same key; should exceed the consumer's
     *                   ack wait, since in-progress signals keep a live job from being redelivered that long
     */
    public JobLedger(DataSource dataSource, String owner, Duration lease) {
        this.dataSource = dataSource;
        this.owner = owner;
        this.lease = lease;
    }

    /**
     * Renews, every third of the lease, the claims of the jobs this worker is running, so a job that runs longer
     * than the lease keeps its key: another job with the same key waits for it instead of running alongside it.
     * A worker that dies stops renewing, and its claims run out within one lease.
     */
    @Override
    protected void doStart() {
        long period = Math.max(1, lease.toMillis() / 3);
        renewer = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, "job-ledger-lease");
            thread.setDaemon(true);
            return thread;
        });
        renewer.scheduleWithFixedDelay(this::renewLeases, period, period, TimeUnit.MILLISECONDS);
    }

    @Override
    protected void doStop() {
        if (renewer != null) {
            renewer.shutdownNow();
            renewer = null;
        }
    }

    /** Extends the lease of every claim in {@link #held}; the ones no longer this worker's are forgotten. */
    void renewLeases() {
        if (held.isEmpty()) {
            return;
        }
        List<Map.Entry<OrgKey, String>> snapshot = List.copyOf(held.entrySet());
        try (Connection connection = dataSource.getConnection();
             PreparedStatement renew = connection.prepareStatement(RENEW)) {
            renew.setDouble(1, lease.toMillis() / 1000.0);
            renew.setArray(2, connection.createArrayOf("text",
                    snapshot.stream().map(e -> e.getKey().orgId()).toArray()));
            renew.setArray(3, connection.createArrayOf("text",
                    snapshot.stream().map(e -> e.getKey().key()).toArray()));
            renew.setArray(4, connection.createArrayOf("text", snapshot.stream().map(Map.Entry::getValue).toArray()));
            renew.setString(5, owner);
            Set<OrgKey> renewed = new HashSet<>();
            try (ResultSet rows = renew.executeQuery()) {
                while (rows.next()) {
                    renewed.add(new OrgKey(rows.getString(1), rows.getString(2)));
                }
            }
            // taken over by a redelivery elsewhere, or settled meanwhile: not this worker's to renew
            for (Map.Entry<OrgKey, String> claim : snapshot) {
                if (!renewed.contains(claim.getKey())) {
                    held.remove(claim.getKey(), claim.getValue());
                }
            }
        } catch (SQLException | RuntimeException e) {
            // the next round tries again; a lease that runs out meanwhile only lets a duplicate job run sooner
            LOG.warn("Could not renew the leases of {} running job(s): {}", snapshot.size(), e.toString());
        }
    }

    /** How many claims this worker is renewing now. */
    int heldCount() {
        return held.size();
    }

    @Override
    public boolean add(Exchange exchange, String key) {
        OrgKey claimed = OrgKey.of(exchange, key);
        String jobId = jobId(exchange);
        long delivery = exchange.getIn().getHeader(JetStreamConstants.DELIVERY_COUNT, 1L, Long.class);
        try (Connection connection = dataSource.getConnection()) {
            try (PreparedStatement claim = connection.prepareStatement(CLAIM)) {
                claim.setString(1, claimed.orgId());
                claim.setString(2, key);
                claim.setString(3, jobId);
                claim.setString(4, owner);
                claim.setLong(5, delivery);
                claim.setDouble(6, lease.toMillis() / 1000.0);
                try (ResultSet rows = claim.executeQuery()) {
                    if (rows.next()) {
                        held.put(claimed, jobId);
                        return true;
                    }
                }
            }
            try (PreparedStatement current = connection.prepareStatement(CURRENT)) {
                current.setString(1, claimed.orgId());
                current.setString(2, key);
                try (ResultSet rows = current.executeQuery()) {
                    if (!rows.next()) {
                        // released between the two statements: let the redelivery claim it
                        throw new TransientJobException("idempotency key " + key + " changed hands; retry");
                    }
                    if ("completed".equals(rows.getString("status"))) {
                        exchange.setProperty(DUPLICATE_OF, rows.getString("job_id"));
                        return false;
                    }
                    // the holder completes, fails or is redelivered, and at the latest its lease runs out
                    Duration leaseLeft = Duration.ofMillis(Math.round(rows.getDouble("lease_left") * 1000));
                    throw new TransientJobException("idempotency key " + key + " is held by job "
                            + rows.getString("job_id") + " on worker " + rows.getString("owner") + "; retry later",
                            leaseLeft.plus(LEASE_SLACK));
                }
            }
        } catch (SQLException e) {
            throw new TransientJobException("idempotency ledger unavailable: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean confirm(Exchange exchange, String key) {
        if (!JobOutcome.COMPLETED.equals(exchange.getProperty(JobOutcome.PROPERTY))) {
            // a dead-lettered job did not complete: free the key so a replay runs it
            return remove(exchange, key);
        }
        OrgKey claimed = OrgKey.of(exchange, key);
        held.remove(claimed);
        return recordCompletion(claimed, jobId(exchange));
    }

    /**
     * Marks the key completed. By now the job's outcome event is stored, and the message is acked as soon as this
     * returns, so a completion the database cannot take at this moment would be lost: the key would stay claimed,
     * and once the lease ran out a re-published job of the key would run again and complete a second time instead
     * of being reported a duplicate. So a database that is away is waited for, while the message stays with this
     * worker (its in-progress signals go on), for as long as the claim holds against other jobs: the lease. Past
     * it another job may take the key anyway, and this gives up, as before, with the failure.
     */
    private boolean recordCompletion(OrgKey key, String jobId) {
        long giveUpAt = System.nanoTime() + lease.toNanos();
        Duration pause = FIRST_COMPLETION_PAUSE;
        for (int attempt = 1; ; attempt++) {
            try {
                boolean recorded = update(COMPLETE, key, jobId, null);
                if (attempt > 1) {
                    LOG.info("Recorded the completion of job {} after {} attempts", jobId, attempt);
                }
                return recorded;
            } catch (TransientJobException e) {
                if (System.nanoTime() + pause.toNanos() > giveUpAt) {
                    LOG.error("Could not record the completion of job {} within the lease of {}; its key stays "
                            + "claimed until the lease runs out: {}", jobId, lease, e.getMessage());
                    throw e;
                }
                if (attempt == 1) {
                    LOG.warn("Could not record the completion of job {} yet, retrying for up to {}: {}", jobId,
                            lease, e.getMessage());
                }
                if (!pause(pause)) {
                    throw e;
                }
                Duration doubled = pause.multipliedBy(2);
                pause = doubled.compareTo(MOST_COMPLETION_PAUSE) > 0 ? MOST_COMPLETION_PAUSE : doubled;
            }
        }
    }

    /** False when interrupted: a worker stopping hard gives the message back, and its redelivery completes it. */
    private static boolean pause(Duration pause) {
        try {
            Thread.sleep(pause.toMillis());
            return true;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public boolean remove(Exchange exchange, String key) {
        OrgKey claimed = OrgKey.of(exchange, key);
        held.remove(claimed);
        return update(RELEASE, claimed, jobId(exchange), owner);
    }

    private boolean update(String sql, OrgKey key, String jobId, String ownerOrNull) {
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(sql)) {
            statement.setString(1, key.orgId());
            statement.setString(2, key.key());
            statement.setString(3, jobId);
            if (ownerOrNull != null) {
                statement.setString(4, ownerOrNull);
            }
            return statement.executeUpdate() == 1;
        } catch (SQLException e) {
            throw new TransientJobException("idempotency ledger unavailable: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean contains(Exchange exchange, String key) {
        OrgKey wanted = OrgKey.of(exchange, key);
        try (Connection connection = dataSource.getConnection();
             PreparedStatement statement = connection.prepareStatement(CURRENT)) {
            statement.setString(1, wanted.orgId());
            statement.setString(2, key);
            try (ResultSet rows = statement.executeQuery()) {
                return rows.next() && "completed".equals(rows.getString("status"));
            }
        } catch (SQLException e) {
            throw new TransientJobException("idempotency ledger unavailable: " + e.getMessage(), e);
        }
    }

    @Override
    public boolean add(String key) {
        throw new UnsupportedOperationException("the job ledger claims keys for a job: use add(exchange, key)");
    }

    @Override
    public boolean contains(String key) {
        throw new UnsupportedOperationException("a key is unique within its org only: use contains(exchange, key)");
    }

    @Override
    public boolean remove(String key) {
        throw new UnsupportedOperationException("the job ledger releases keys for a job: use remove(exchange, key)");
    }

    @Override
    public boolean confirm(String key) {
        throw new UnsupportedOperationException("the job ledger confirms keys for a job: use confirm(exchange, key)");
    }

    @Override
    public void clear() {
        throw new UnsupportedOperationException("the job ledger is shared by the fleet and is never cleared "
                + "from one worker");
    }

    /** An idempotency key within its org: publishers of different orgs choose their keys apart. */
    record OrgKey(String orgId, String key) {

        static OrgKey of(Exchange exchange, String key) {
            String orgId = exchange.getIn().getHeader(JobHeaders.ORG_ID, String.class);
            if (orgId == null || orgId.isBlank()) {
                throw new IllegalStateException("no " + JobHeaders.ORG_ID + " header: the job was not validated");
            }
            return new OrgKey(orgId, key);
        }
    }

    private static String jobId(Exchange exchange) {
        String jobId = exchange.getIn().getHeader(JobHeaders.JOB_ID, String.class);
        if (jobId == null) {
            throw new IllegalStateException("no " + JobHeaders.JOB_ID + " header: the job was not validated");
        }
        return jobId;
    }
}
