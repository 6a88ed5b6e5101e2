package dev.memorymodule.workers.embed;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URL;
import java.net.URLConnection;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ONNX graph and the tokenizer of one model as files on disk, found in a model directory or copied out of the
 * classpath into a cache directory.
 */
public final class ModelFiles {

    static final String ONNX_FILE = "model.onnx";
    static final String TOKENIZER_FILE = "tokenizer.json";
    static final String ONNX_SUFFIX = ".onnx";

    private static final Logger LOG = LoggerFactory.getLogger(ModelFiles.class);
    private static final long UNKNOWN_LENGTH = -1;

    private final Path onnx;
    private final Path tokenizer;

    private ModelFiles(Path onnx, Path tokenizer) {
        this.onnx = onnx;
        this.tokenizer = tokenizer;
    }

    /** Finds or extracts the files of {@code spec}; classpath resources go to {@code cacheDir/<name>/}. */
    public static ModelFiles resolve(ModelSpec spec, Path cacheDir) {
        if (spec.source() instanceof ModelSpec.Directory directory) {
            return inDirectory(directory.path());
        }
        ModelSpec.Classpath classpath = (ModelSpec.Classpath) spec.source();
        Path target = cacheDir.resolve(spec.name());
        return new ModelFiles(
                extract(classpath.onnxResource(), target.resolve(ONNX_FILE)),
                extract(classpath.tokenizerResource(), target.resolve(TOKENIZER_FILE)));
    }

    public Path onnx() {
        return onnx;
    }

    public Path tokenizer() {
        return tokenizer;
    }

    private static ModelFiles inDirectory(Path directory) {
        Path absolute = directory.toAbsolutePath();
        if (!Files.isDirectory(absolute)) {
            throw new IllegalArgumentException("Model directory does not exist or is not a directory: " + absolute);
        }
        Path tokenizer = absolute.resolve(TOKENIZER_FILE);
        if (!Files.isRegularFile(tokenizer)) {
            throw new IllegalArgumentException("Model directory has no " + TOKENIZER_FILE + ": " + tokenizer);
        }
        return new ModelFiles(findOnnx(absolute), tokenizer);
    }

    private static Path findOnnx(Path directory) {
        Path preferred = directory.resolve(ONNX_FILE);
        if (Files.isRegularFile(preferred)) {
            return preferred;
        }
        List<Path> candidates;
        try (Stream<Path> files = Files.list(directory)) {
            candidates = files
                    .filter(file -> file.getFileName().toString().endsWith(ONNX_SUFFIX))
                    .filter(Files::isRegularFile)
                    .sorted()
                    .collect(Collectors.toList());
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot list model directory " + directory, e);
        }
        if (candidates.isEmpty()) {
            throw new IllegalArgumentException("Model directory has no " + ONNX_FILE + " nor any other *"
                    + ONNX_SUFFIX + " file: " + directory);
        }
        if (candidates.size() > 1) {
            throw new IllegalArgumentException("Model directory has several *" + ONNX_SUFFIX + " files and no "
                    + ONNX_FILE + " to choose: " + candidates);
        }
        return candidates.get(0);
    }

    private static URL findResource(String resource) {
        // runtimes that load the application through a class loader of their own make it the context loader
        ClassLoader context = Thread.currentThread().getContextClassLoader();
        URL url = context == null ? null : context.getResource(resource);
        if (url == null) {
            url = ModelFiles.class.getClassLoader().getResource(resource);
        }
        if (url == null) {
            throw new IllegalArgumentException("Model resource not found on the classpath: " + resource);
        }
        return url;
    }

    private static Path extract(String resource, Path target) {
        URL url = findResource(resource);
        try {
            URLConnection connection = url.openConnection();
            long length = connection.getContentLengthLong();
            // a copy of the same size is taken as the same file: re-reading 90 MB from a jar on every start is slow
            // Shortcoming: a changed model file of exactly the same size under the same model name is not re-extracted.
            if (length != UNKNOWN_LENGTH && Files.isRegularFile(target) && Files.size(target) == length) {
                LOG.debug("Reusing extracted model file {}", target);
                return target;
            }
            Files.createDirectories(target.getParent());
            // copy to a private file first and move it in whole, so that no reader ever sees a half-written file
            Path partial = Files.createTempFile(target.getParent(), target.getFileName().toString(), ".part");
            try (InputStream in = connection.getInputStream()) {
                Files.copy(in, partial, StandardCopyOption.REPLACE_EXISTING);
                Files.move(partial, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
            } finally {
                Files.deleteIfExists(partial);
            }
            LOG.info("Extracted model resource {} to {}", resource, target);
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("Cannot extract model resource " + resource + " to " + target, e);
        }
    }
}
