package dev.memorymodule.workers.embed;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;

import ai.djl.huggingface.tokenizers.Encoding;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching across callers: texts that concurrent jobs submit share forward passes, so a stream of one-text
 * jobs does not cost one pass per text.
 *
 * <p>Texts wait in two queues, online before offline, in arrival order within each. One dispatcher thread at a time
 * forms the next pass from the queue heads (see {@link BatchOptions} for where a pass is cut) while the others run
 * theirs, so forming a pass overlaps with computing the previous one. A request larger than one pass is split over
 * several; texts of an online job that arrive meanwhile go into the next pass, ahead of the rest of it.
 *
 * <p>When a shared pass fails, each request in it is run again on its own, so a text that breaks the engine fails only
 * its own job.
 */
final class EmbeddingBatcher implements AutoCloseable {

    /** Runs one forward pass over tokenized texts; called from dispatcher threads, several at a time. */
    @FunctionalInterface
    interface ForwardPass {
        float[][] run(Encoding[] encodings);
    }

    private static final Logger LOG = LoggerFactory.getLogger(EmbeddingBatcher.class);

    // a forward pass on a large batch takes seconds; close waits this long for running ones to finish
    private static final long CLOSE_WAIT_MILLIS = 30_000;

    private final String modelName;
    private final BatchOptions options;
    private final ForwardPass forward;
    private final List<Thread> dispatchers;

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition changed = lock.newCondition();
    private final ArrayDeque<Request> online = new ArrayDeque<>();
    private final ArrayDeque<Request> offline = new ArrayDeque<>();
    // one dispatcher forms a pass at a time; the others wait for it or run theirs
    private boolean forming;
    private boolean closed;

    /**
     * @param dispatchers how many passes may run at once; each dispatcher runs one at a time
     */
    EmbeddingBatcher(String modelName, BatchOptions options, int dispatchers, ForwardPass forward) {
        this.modelName = modelName;
        this.options = options;
        this.forward = forward;
        List<Thread> threads = new ArrayList<>(dispatchers);
        for (int i = 0; i < dispatchers; i++) {
            Thread thread = new Thread(this::dispatch, "mm-embed-" + modelName + "-" + i);
            thread.setDaemon(true);
            threads.add(thread);
        }
        this.dispatchers = List.copyOf(threads);
        this.dispatchers.forEach(Thread::start);
    }

    /**
     * Queues tokenized texts; the future completes with one vector per text, in order, once every text has been
     * through a pass, or exceptionally with the pass's failure or an {@link IllegalStateException} on close.
     */
    CompletableFuture<float[][]> submit(Encoding[] encodings, Priority priority) {
        Request request = new Request(encodings, System.nanoTime() + options.waitFor(priority).toNanos());
        if (encodings.length == 0) {
            request.result.complete(new float[0][]);
            return request.result;
        }
        lock.lock();
        try {
            if (closed) {
                throw new IllegalStateException("Embedding model " + modelName + " is closed");
            }
            (priority == Priority.ONLINE ? online : offline).addLast(request);
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        return request.result;
    }

    /**
     * Stops the dispatchers: queued texts fail with an {@link IllegalStateException}, passes already running finish
     * (waiting at most 30 s for them).
     */
    @Override
    public void close() {
        List<Request> abandoned = new ArrayList<>();
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
            abandoned.addAll(online);
            abandoned.addAll(offline);
            online.clear();
            offline.clear();
            changed.signalAll();
        } finally {
            lock.unlock();
        }
        IllegalStateException closing = new IllegalStateException("Embedding model " + modelName + " is closed");
        abandoned.forEach(request -> request.fail(closing));

        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(CLOSE_WAIT_MILLIS);
        for (Thread thread : dispatchers) {
            try {
                thread.join(Math.max(1, TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime())));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    private void dispatch() {
        while (true) {
            Pass pass;
            try {
                pass = nextPass();
            } catch (InterruptedException e) {
                // only close interrupts nothing; an interrupt here means the JVM is going down
                return;
            }
            if (pass == null) {
                return;
            }
            run(pass);
        }
    }

    /** Waits for texts and forms a pass from them; null once closed. */
    private Pass nextPass() throws InterruptedException {
        lock.lock();
        try {
            while (!closed && (forming || online.isEmpty() && offline.isEmpty())) {
                changed.await();
            }
            if (closed) {
                return null;
            }
            forming = true;
            try {
                Pass pass = new Pass();
                while (true) {
                    boolean full = fill(pass, online) || fill(pass, offline);
                    if (full || pass.isEmpty()) {
                        // empty only when every queued request was cancelled meanwhile
                        break;
                    }
                    long left = pass.cutAt - System.nanoTime();
                    if (left <= 0) {
                        break;
                    }
                    changed.awaitNanos(left);
                    if (closed) {
                        break;
                    }
                }
                return pass;
            } finally {
                forming = false;
                changed.signalAll();
            }
        } finally {
            lock.unlock();
        }
    }

    /** Moves texts from the head of {@code queue} into the pass while they fit; true when the pass is full. */
    private boolean fill(Pass pass, ArrayDeque<Request> queue) {
        while (!queue.isEmpty()) {
            Request request = queue.peekFirst();
            if (request.result.isDone()) {
                // failed or cancelled while waiting: the rest of its texts need no pass
                queue.pollFirst();
                continue;
            }
            while (request.next < request.encodings.length) {
                Encoding encoding = request.encodings[request.next];
                if (!pass.fits(encoding)) {
                    return true;
                }
                pass.add(request, request.next, encoding);
                request.next++;
            }
            queue.pollFirst();
        }
        return false;
    }

    private void run(Pass pass) {
        if (pass.isEmpty()) {
            return;
        }
        try {
            runAndDeliver(pass);
        } catch (RuntimeException e) {
            if (pass.requests().size() == 1) {
                pass.requests().get(0).fail(e);
                return;
            }
            LOG.warn("A shared forward pass of {} over {} texts of {} jobs failed ({}); running each job alone",
                    modelName, pass.size(), pass.requests().size(), e.toString());
            for (Request request : pass.requests()) {
                Pass alone = pass.only(request);
                try {
                    runAndDeliver(alone);
                } catch (RuntimeException again) {
                    request.fail(again);
                }
            }
        } catch (Error e) {
            // an engine that runs out of memory must not leave its callers waiting, nor lose this dispatcher
            LOG.error("A forward pass of {} over {} texts failed with {}; its jobs fail and batching goes on",
                    modelName, pass.size(), e.toString());
            EmbeddingException failure = new EmbeddingException("Embedding with " + modelName + " failed: " + e, e);
            pass.requests().forEach(request -> request.fail(failure));
        }
    }

    private void runAndDeliver(Pass pass) {
        pass.deliver(forward.run(pass.encodings()));
    }

    /** One caller's texts, taken into passes in order. */
    private static final class Request {

        final Encoding[] encodings;
        // when a pass holding this request's first text is cut, if it has not filled up before
        final long cutAt;
        final float[][] vectors;
        final AtomicInteger pending;
        final CompletableFuture<float[][]> result = new CompletableFuture<>();
        // index of the next text no pass has taken yet; only the forming dispatcher reads or writes it
        int next;

        Request(Encoding[] encodings, long cutAt) {
            this.encodings = encodings;
            this.cutAt = cutAt;
            this.vectors = new float[encodings.length][];
            this.pending = new AtomicInteger(encodings.length);
        }

        void deliver(int index, float[] vector) {
            vectors[index] = vector;
            // the last pass of the request completes it; its write of the array happens before the completion
            if (pending.decrementAndGet() == 0) {
                result.complete(vectors);
            }
        }

        void fail(Throwable cause) {
            result.completeExceptionally(cause);
        }
    }

    /** The texts of one forward pass, with where each one's vector goes. */
    private final class Pass {

        private final List<Encoding> encodings = new ArrayList<>();
        private final List<Request> owners = new ArrayList<>();
        private final List<Integer> indices = new ArrayList<>();
        private int longest;
        long cutAt = Long.MAX_VALUE;

        boolean isEmpty() {
            return encodings.isEmpty();
        }

        int size() {
            return encodings.size();
        }

        boolean fits(Encoding encoding) {
            if (encodings.isEmpty()) {
                return true;
            }
            int texts = encodings.size() + 1;
            long padded = (long) texts * Math.max(longest, encoding.getIds().length);
            return texts <= options.maxTexts() && padded <= options.maxTokens();
        }

        void add(Request request, int index, Encoding encoding) {
            encodings.add(encoding);
            owners.add(request);
            indices.add(index);
            longest = Math.max(longest, encoding.getIds().length);
            // the most urgent text decides how long the pass waits for more
            cutAt = Math.min(cutAt, request.cutAt);
        }

        Encoding[] encodings() {
            return encodings.toArray(new Encoding[0]);
        }

        void deliver(float[][] vectors) {
            if (vectors.length != encodings.size()) {
                throw new IllegalStateException("forward pass returned " + vectors.length + " vectors for "
                        + encodings.size() + " texts");
            }
            for (int i = 0; i < vectors.length; i++) {
                owners.get(i).deliver(indices.get(i), vectors[i]);
            }
        }

        /** The distinct requests of this pass, in the order they joined it. */
        List<Request> requests() {
            Map<Request, Boolean> seen = new IdentityHashMap<>();
            List<Request> distinct = new ArrayList<>();
            for (Request owner : owners) {
                if (seen.put(owner, Boolean.TRUE) == null) {
                    distinct.add(owner);
                }
            }
            return distinct;
        }

        /** A pass of only {@code request}'s texts from this one. */
        Pass only(Request request) {
            Pass alone = new Pass();
            for (int i = 0; i < owners.size(); i++) {
                if (owners.get(i) == request) {
                    alone.add(request, indices.get(i), encodings.get(i));
                }
            }
            return alone;
        }
    }
}
