package dev.memorymodule.workers.embed;

/** A forward pass that failed inside the engine or the tokenizer, for texts that were otherwise acceptable. */
public final class EmbeddingException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public EmbeddingException(String message, Throwable cause) {
        super(message, cause);
    }
}
