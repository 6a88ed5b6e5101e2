package dev.memorymodule.workers.job;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

import com.zaxxer.hikari.HikariConfig;
import com.zaxxer.hikari.HikariDataSource;
import dev.memorymodule.workers.jetstream.JetStreamConstants;
import dev.memorymodule.workers.store.Database;
import dev.memorymodule.workers.testsupport.PostgresDatabase;
import dev.memorymodule.workers.testsupport.TcpProxy;
import org.apache.camel.CamelContext;
import org.apache.camel.Exchange;
import org.apache.camel.impl.DefaultCamelContext;
import org.apache.camel.support.DefaultExchange;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;

/**
 * The idempotency ledger's claims on a real PostgreSQL: which delivery may run a job, which is a duplicate, and
 * how a claim left by a dead worker gives way.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class JobLedgerTest {

    private static final String ORG_A = "550e8400-e29b-41d4-a716-446655440000";
    private static final String ORG_B = "111e8400-e29b-41d4-a716-446655440000";

    private PostgresDatabase database;
    private HikariDataSource dataSource;
    private CamelContext camel;

    @BeforeAll
    void start() {
        database = PostgresDatabase.create();
        dataSource = Database.open(database.jdbcUrl(), database.user(), database.password(), 4, 2_000);
        camel = new DefaultCamelContext();
    }

    @AfterAll
    void stop() throws Exception {
        camel.close();
        dataSource.close();
        database.close();
    }

    private Exchange delivery(String jobId, long deliveryCount) {
        return delivery(ORG_A, jobId, deliveryCount);
    }

    private Exchange delivery(String orgId, String jobId, long deliveryCount) {
        Exchange exchange = new DefaultExchange(camel);
        exchange.getIn().setHeader(JobHeaders.ORG_ID, orgId);
        exchange.getIn().setHeader(JobHeaders.JOB_ID, jobId);
        exchange.getIn().setHeader(JetStreamConstants.DELIVERY_COUNT, deliveryCount);
        return exchange;
    }

    private JobLedger ledger(String owner, Duration lease) {
        return new JobLedger(dataSource, owner, lease);
    }

    @Test
    void firstClaimRunsAndACompletedKeyIsADuplicateNamingTheFirstJob() {
        JobLedger ledger = ledger("w1", Duration.ofMinutes(1));
        Exchange first = delivery("JOB-A1", 1);
        assertThat(ledger.add(first, "k-dup")).isTrue();
        first.setProperty(JobOutcome.PROPERTY, JobOutcome.COMPLETED);
        assertThat(ledger.confirm(first, "k-dup")).isTrue();

        Exchange again = delivery("JOB-A2", 1);
        assertThat(ledger.add(again, "k-dup")).isFalse();
        assertThat(again.getProperty(JobLedger.DUPLICATE_OF)).isEqualTo("JOB-A1");
        assertThat(ledger.contains(delivery("JOB-A3", 1), "k-dup")).isTrue();
    }

    @Test
    void theSameKeyInTwoOrgsIsTwoKeysAndNeitherNamesTheOthersJob() {
        JobLedger ledger = ledger("w1", Duration.ofMinutes(1));
        Exchange orgA = delivery(ORG_A, "JOB-O1", 1);
        assertThat(ledger.add(orgA, "k-shared")).isTrue();
        orgA.setProperty(JobOutcome.PROPERTY, JobOutcome.COMPLETED);
        assertThat(ledger.confirm(orgA, "k-shared")).isTrue();

        // org B's job of the same key runs: it is neither a duplicate of org A's nor held by it
        Exchange orgB = delivery(ORG_B, "JOB-O2", 1);
        assertThat(ledger.add(orgB, "k-shared")).isTrue();
        assertThat(orgB.getProperty(JobLedger.DUPLICATE_OF)).isNull();
        assertThat(ledger.contains(delivery(ORG_B, "JOB-O3", 1), "k-shared")).isFalse();
        orgB.setProperty(JobOutcome.PROPERTY, JobOutcome.COMPLETED);
        assertThat(ledger.confirm(orgB, "k-shared")).isTrue();

        Exchange againB = delivery(ORG_B, "JOB-O4", 1);
        assertThat(ledger.add(againB, "k-shared")).isFalse();
        assertThat(againB.getProperty(JobLedger.DUPLICATE_OF)).isEqualTo("JOB-O2");
        assertThat(database.count("SELECT count(*) FROM job_ledger WHERE idempotency_key = 'k-shared' "
                + "AND status = 'completed'")).isEqualTo(2);
    }

    @Test
    void aJobWithoutItsOrgIsRefusedByTheLedger() {
        Exchange noOrg = delivery("JOB-N1", 1);
        noOrg.getIn().removeHeader(JobHeaders.ORG_ID);
        assertThatThrownBy(() -> ledger("w1", Duration.ofMinutes(1)).add(noOrg, "k-no-org"))
                .isInstanceOf(IllegalStateException.class).hasMessageContaining(JobHeaders.ORG_ID);
    }

    @Test
    void anotherJobWithALiveClaimIsToldToRetryNotCalledADuplicate() {
        assertThat(ledger("w1", Duration.ofMinutes(1)).add(delivery("JOB-B1", 1), "k-live")).isTrue();

        assertThatThrownBy(() -> ledger("w2", Duration.ofMinutes(1)).add(delivery("JOB-B2", 1), "k-live"))
                .isInstanceOf(TransientJobException.class).hasMessageContaining("JOB-B1").hasMessageContaining("w1");
        assertThat(ledger("w2", Duration.ofMinutes(1)).contains(delivery("JOB-B3", 1), "k-live")).isFalse();
    }

    @Test
    void aHeldKeyTellsWhenItsLeaseRunsOutAtTheLatest() {
        assertThat(ledger("w1", Duration.ofSeconds(30)).add(delivery("JOB-H1", 1), "k-held")).isTrue();

        assertThatThrownBy(() -> ledger("w2", Duration.ofSeconds(30)).add(delivery("JOB-H2", 1), "k-held"))
                .isInstanceOfSatisfying(TransientJobException.class, e -> assertThat(e.clearsWithin())
                        .hasValueSatisfying(left -> assertThat(left).isBetween(Duration.ofSeconds(25),
                                Duration.ofSeconds(32))));
    }

    @Test
    void aRunningJobKeepsItsKeyPastTheLeaseWhileItsWorkerRenewsIt() throws Exception {
        JobLedger running = ledger("w1", Duration.ofMillis(600));
        running.start();
        try {
            Exchange job = delivery("JOB-R1", 1);
            assertThat(running.add(job, "k-renewed")).isTrue();
            // three leases long: without renewal another job would have taken the key twice over by now
            Thread.sleep(1_800);
            assertThatThrownBy(() -> ledger("w2", Duration.ofMinutes(1)).add(delivery("JOB-R2", 1), "k-renewed"))
                    .isInstanceOf(TransientJobException.class).hasMessageContaining("JOB-R1");

            job.setProperty(JobOutcome.PROPERTY, JobOutcome.COMPLETED);
            assertThat(running.confirm(job, "k-renewed")).isTrue();
            assertThat(running.heldCount()).isZero();
        } finally {
            running.stop();
        }
    }

    @Test
    void aClaimTakenOverByARedeliveryElsewhereIsNoLongerRenewed() {
        JobLedger lost = ledger("lost-connection", Duration.ofMinutes(1));
        assertThat(lost.add(delivery("JOB-T1", 1), "k-moved")).isTrue();
        assertThat(ledger("rescuer", Duration.ofMinutes(1)).add(delivery("JOB-T1", 2), "k-moved")).isTrue();

        lost.renewLeases();

        assertThat(lost.heldCount()).isZero();
        assertThat(database.count("SELECT count(*) FROM job_ledger WHERE idempotency_key = 'k-moved' "
                + "AND owner = 'rescuer'")).isEqualTo(1);
    }

    @Test
    void aStoppedWorkersClaimRunsOutWithinOneLease() throws Exception {
        JobLedger stopped = ledger("w1", Duration.ofMillis(600));
        stopped.start();
        assertThat(stopped.add(delivery("JOB-S1", 1), "k-stopped")).isTrue();
        stopped.stop();
        Thread.sleep(900);

        assertThat(ledger("w2", Duration.ofMinutes(1)).add(delivery("JOB-S2", 1), "k-stopped")).isTrue();
    }

    @Test
    void redeliveryOfTheSameJobTakesOverTheClaimOfAWorkerThatDied() {
        assertThat(ledger("dead", Duration.ofMinutes(10)).add(delivery("JOB-C1", 1), "k-takeover")).isTrue();

        // JetStream redelivers only once the holder stopped answering: the higher delivery count proves it
        JobLedger rescuer = ledger("alive", Duration.ofMinutes(10));
        Exchange redelivery = delivery("JOB-C1", 2);
        assertThat(rescuer.add(redelivery, "k-takeover")).isTrue();
        redelivery.setProperty(JobOutcome.PROPERTY, JobOutcome.COMPLETED);
        assertThat(rescuer.confirm(redelivery, "k-takeover")).isTrue();
        assertThat(database.count("SELECT count(*) FROM job_ledger WHERE idempotency_key = 'k-takeover' "
                + "AND owner = 'alive' AND status = 'completed'")).isEqualTo(1);
    }

    @Test
    void aRenewalTheDatabaseCannotTakeKeepsTheClaimForTheNextRound() throws Exception {
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
             HikariDataSource viaProxy = Database.open(database.jdbcUrlVia(proxy.port()), database.user(),
                     database.password(), 2, 500)) {
            JobLedger ledger = new JobLedger(viaProxy, "w1", Duration.ofSeconds(2));
            assertThat(ledger.add(delivery("JOB-W1", 1), "k-renew-outage")).isTrue();

            proxy.cut();
            ledger.renewLeases();
            // the database said nothing about the claim: it is still this worker's to renew
            assertThat(ledger.heldCount()).isEqualTo(1);

            proxy.restore();
            Thread.sleep(1_000);
            ledger.renewLeases();
            Thread.sleep(1_500);
            // renewed after the outage, so past its first lease another job still finds the key held
            assertThatThrownBy(() -> ledger("w2", Duration.ofMinutes(1)).add(delivery("JOB-W2", 1),
                    "k-renew-outage")).isInstanceOf(TransientJobException.class).hasMessageContaining("JOB-W1");
        }
    }

    @Test
    void anExpiredLeaseGivesWayToAnotherJob() throws Exception {
        assertThat(ledger("w1", Duration.ofMillis(200)).add(delivery("JOB-D1", 1), "k-lease")).isTrue();
        Thread.sleep(400);

        assertThat(ledger("w2", Duration.ofMinutes(1)).add(delivery("JOB-D2", 1), "k-lease")).isTrue();
    }

    @Test
    void aFailedOrDeadLetteredJobReleasesItsKeySoAReplayRuns() {
        JobLedger ledger = ledger("w1", Duration.ofMinutes(1));
        Exchange failed = delivery("JOB-E1", 1);
        assertThat(ledger.add(failed, "k-failed")).isTrue();
        failed.setProperty(JobOutcome.PROPERTY, JobOutcome.FAILED);
        ledger.confirm(failed, "k-failed");

        assertThat(ledger.contains(delivery("JOB-E2", 1), "k-failed")).isFalse();
        assertThat(ledger.add(delivery("JOB-E1", 1), "k-failed")).isTrue();
    }

    @Test
    void aTransientFailureReleasesTheClaimForTheRedelivery() {
        JobLedger ledger = ledger("w1", Duration.ofMinutes(1));
        Exchange attempt = delivery("JOB-F1", 1);
        assertThat(ledger.add(attempt, "k-transient")).isTrue();
        assertThat(ledger.remove(attempt, "k-transient")).isTrue();

        assertThat(ledger("w2", Duration.ofMinutes(1)).add(delivery("JOB-F2", 1), "k-transient")).isTrue();
    }

    /**
     * The outcome event is stored and the message is acked right after the completion is confirmed, so a database
     * that is away at that moment must not cost the completion: the key would stay claimed, and once the lease ran
     * out a re-published job of the key would run again instead of being reported a duplicate.
     */
    @Test
    void aCompletionTheDatabaseCannotTakeNowIsRecordedOnceItIsBack() throws Exception {
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
             HikariDataSource viaProxy = Database.open(database.jdbcUrlVia(proxy.port()), database.user(),
                     database.password(), 2, 500)) {
            JobLedger ledger = new JobLedger(viaProxy, "w1", Duration.ofMinutes(1));
            Exchange done = delivery("JOB-H1", 1);
            assertThat(ledger.add(done, "k-outage")).isTrue();
            done.setProperty(JobOutcome.PROPERTY, JobOutcome.COMPLETED);

            proxy.cut();
            CompletableFuture<Boolean> confirmed = CompletableFuture.supplyAsync(() -> ledger.confirm(done,
                    "k-outage"));
            Thread.sleep(2_000);
            assertThat(confirmed).as("confirm while the database is away").isNotDone();
            proxy.restore();

            assertThat(confirmed.get(30, TimeUnit.SECONDS)).isTrue();
            assertThat(database.count("SELECT count(*) FROM job_ledger WHERE idempotency_key = 'k-outage' "
                    + "AND status = 'completed'")).isEqualTo(1);
            Exchange republished = delivery("JOB-H2", 1);
            assertThat(ledger.add(republished, "k-outage")).isFalse();
            assertThat(republished.getProperty(JobLedger.DUPLICATE_OF)).isEqualTo("JOB-H1");
        }
    }

    @Test
    void aCompletionIsGivenUpOnceTheLeaseWouldHaveLetAnotherJobTakeTheKey() throws Exception {
        try (TcpProxy proxy = TcpProxy.start(database.host(), database.port());
             HikariDataSource viaProxy = Database.open(database.jdbcUrlVia(proxy.port()), database.user(),
                     database.password(), 2, 250)) {
            JobLedger ledger = new JobLedger(viaProxy, "w1", Duration.ofSeconds(2));
            Exchange done = delivery("JOB-I1", 1);
            assertThat(ledger.add(done, "k-given-up")).isTrue();
            done.setProperty(JobOutcome.PROPERTY, JobOutcome.COMPLETED);
            proxy.cut();

            long started = System.nanoTime();
            assertThatThrownBy(() -> ledger.confirm(done, "k-given-up")).isInstanceOf(TransientJobException.class);
            assertThat(Duration.ofNanos(System.nanoTime() - started)).isBetween(Duration.ofSeconds(1),
                    Duration.ofSeconds(5));
        }
    }

    @Test
    void anUnreachableDatabaseIsATransientFailure() {
        HikariConfig config = new HikariConfig();
        config.setJdbcUrl("jdbc:postgresql://127.0.0.1:1/none");
        config.setConnectionTimeout(500);
        config.setInitializationFailTimeout(-1);
        try (HikariDataSource nowhere = new HikariDataSource(config)) {
            JobLedger ledger = new JobLedger(nowhere, "w1", Duration.ofMinutes(1));

            assertThatThrownBy(() -> ledger.add(delivery("JOB-G1", 1), "k-down"))
                    .isInstanceOf(TransientJobException.class).hasMessageContaining("ledger unavailable");
        }
    }
}
