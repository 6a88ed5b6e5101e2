package dev.memorymodule.workers.jetstream;

import java.nio.file.Files;
import java.nio.file.Path;

import io.nats.client.Nats;
import io.nats.client.Options;

/** Applies the worker's NATS authentication settings to a command's connection. */
public final class NatsAuth {

    private NatsAuth() {
    }

    public static void apply(Options.Builder options, String nkeySeedFile, boolean tls) throws Exception {
        if (nkeySeedFile != null && !nkeySeedFile.isBlank()) {
            char[] seed = Files.readString(Path.of(nkeySeedFile.trim())).trim().toCharArray();
            options.authHandler(Nats.staticCredentials(null, seed));
        }
        if (tls) {
            options.secure();
        }
    }
}
