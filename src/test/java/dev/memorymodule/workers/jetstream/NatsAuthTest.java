package dev.memorymodule.workers.jetstream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;

import io.nats.client.NKey;
import io.nats.client.Options;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NatsAuthTest {

    @TempDir
    Path dir;

    @Test
    void userSeedFileSetsAnNkeyAuthHandlerWithoutJwt() throws Exception {
        NKey user = NKey.createUser(new SecureRandom());
        Path file = Files.writeString(dir.resolve("worker.nk"), new String(user.getSeed()) + "\n");
        Options.Builder options = Options.builder();

        NatsAuth.apply(options, file.toString(), false);

        Options built = options.build();
        assertThat(built.getAuthHandler().getJWT()).isNull();
        assertThat(built.getAuthHandler().getID()).isEqualTo(user.getPublicKey());
        assertThat(built.isTLSRequired()).isFalse();
    }

    @Test
    void fileWithoutAUserSeedIsRefusedNamingTheFile() throws Exception {
        NKey user = NKey.createUser(new SecureRandom());
        Path publicKey = Files.writeString(dir.resolve("worker.pub"), new String(user.getPublicKey()));
        Path account = Files.writeString(dir.resolve("account.nk"),
                new String(NKey.createAccount(new SecureRandom()).getSeed()));

        for (Path file : new Path[] { publicKey, account }) {
            assertThatThrownBy(() -> NatsAuth.apply(Options.builder(), file.toString(), false))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining(file.toString());
        }
    }

    @Test
    void noSeedFileMeansNoAuthentication() throws Exception {
        Options.Builder options = Options.builder();

        NatsAuth.apply(options, " ", false);

        assertThat(options.build().getAuthHandler()).isNull();
    }

    @Test
    void tlsIsRequiredWithTheJvmDefaultContext() throws Exception {
        Options.Builder options = Options.builder();

        NatsAuth.apply(options, null, true);

        Options built = options.build();
        assertThat(built.isTLSRequired()).isTrue();
        assertThat(built.getSslContext()).isNotNull();
    }
}
