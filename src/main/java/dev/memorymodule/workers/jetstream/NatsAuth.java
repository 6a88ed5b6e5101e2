package dev.memorymodule.workers.jetstream;

import java.nio.file.Files;
import java.nio.file.Path;

import io.nats.client.NKey;
import io.nats.client.Nats;
import io.nats.client.Options;

/**
 * Applies the worker's NATS authentication settings to a connection: an nkey user (a seed file, no JWT, as in a
 * server config with {@code authorization { users = [ { nkey: U... } ] }}) and TLS.
 */
public final class NatsAuth {

    private NatsAuth() {
    }

    public static void apply(Options.Builder options, String nkeySeedFile, boolean tls) throws Exception {
        if (nkeySeedFile != null && !nkeySeedFile.isBlank()) {
            Path file = Path.of(nkeySeedFile.trim());
            char[] seed = Files.readString(file).trim().toCharArray();
            checkUserSeed(seed, file);
            options.authHandler(Nats.staticCredentials(null, seed));
        }
        if (tls) {
            options.secure();
        }
    }

    // a wrong file (a public key, a .creds file) would otherwise fail later, inside the connect, with no name
    private static void checkUserSeed(char[] seed, Path file) {
        try {
            NKey key = NKey.fromSeed(seed);
            boolean user = key.getType() == NKey.Type.USER;
            key.clear();
            if (user) {
                return;
            }
        } catch (Exception e) {
            // not a seed at all: reported below with the file's name
        }
        throw new IllegalArgumentException(file + " does not hold an nkey user seed (one line starting with SU)");
    }
}
