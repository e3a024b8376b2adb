package dev.wsmanager.internal;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.ManagerStats;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.metrics.HistogramObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.DoubleSupplier;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The manager's engine: owns the registry of streams, the scheduler, the OkHttp client it created,
 * the callback threads, the admission limiter and the metrics. {@code dev.wsmanager.WsManager} is
 * its public face; this package is not exported.
 *
 * <p>Threads: timers run on one scheduler thread and never call user code; lifecycle callbacks run
 * on the {@link CallbackExecutor}, one stream's at a time and in order; messages on the OkHttp
 * reader thread of their connection.
 */
public final class Engine {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.WsManager");

  /**
   * What close() may take beyond its timeout: the last callbacks, interrupting the ones still
   * running, joining threads.
   */
  static final long CLOSE_GRACE_NANOS = 1_000_000_000L;

  /** How long a callback still running after the close timeout has to return once interrupted. */
  static final long CALLBACK_GRACE_NANOS = 100_000_000L;

  /** The longest close() waits, whatever it is asked. */
  static final Duration MAX_CLOSE_WAIT = Duration.ofHours(1);

  private final String name;
  private final InstantSource clock;
  private final DoubleSupplier random;
  private final ReconnectPolicy defaultPolicy;
  private final long closeTimeoutMillis;
  private final long failedRetentionMillis;

  /** The counters of streams without a group. */
  private final ManagerMetrics metrics;

  private final MetricsGroups groups;
  private final AdmissionLimiter admission;
  private final ConnectSlots connectSlots;
  private final OwnedThreads threads = new OwnedThreads(); // scheduler and io
  private final OwnedThreads callbackThreads = new OwnedThreads();
  private final CallbackExecutor callbacks;
  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final OkHttpClient client;
  private final boolean ownsClient;
  private final PrometheusRegistry registry;
  private final ClientShards clients;

  /**
   * OkHttp task runners on platform threads: each keeps a thread while any of its WebSockets has a
   * ping scheduled, so a few are shared by all shards (on virtual threads each shard has its own).
   */
  private static final int PLATFORM_TASK_RUNNERS = 4;

  private final ConcurrentHashMap<String, StreamLoop> streams = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicBoolean dispatcherWarned = new AtomicBoolean();
  private final ReentrantLock drainLock = new ReentrantLock();
  private final Condition drained = drainLock.newCondition();
  private final StreamContext context = new Context();

  /**
   * Everything the public builder collected, already validated.
   *
   * @param clock the source of time; the system clock outside tests
   * @param scheduler a scheduler to use instead of the engine's own thread; null outside tests
   * @param random uniform numbers for jitter
   * @param virtualThreads whether io and callback threads are virtual (JDK 21+)
   * @param maxGroups the most stream groups
   */
  public record Config(
      String name,
      OkHttpClient client,
      ReconnectPolicy defaultPolicy,
      PrometheusRegistry registry,
      Labels constantLabels,
      boolean perStreamMetrics,
      double connectsPerSecond,
      int connectBurst,
      int maxConnectingStreams,
      Duration closeTimeout,
      Duration failedRetention,
      InstantSource clock,
      ScheduledExecutorService scheduler,
      DoubleSupplier random,
      boolean virtualThreads,
      int maxGroups) {}

  public Engine(Config c) {
    this.name = c.name();
    this.clock = c.clock();
    this.random = c.random();
    this.defaultPolicy = c.defaultPolicy();
    this.closeTimeoutMillis = c.closeTimeout().toMillis();
    this.failedRetentionMillis = c.failedRetention().toMillis();
    this.registry = c.registry();
    this.admission = new AdmissionLimiter(c.connectsPerSecond(), c.connectBurst());
    this.connectSlots =
        new ConnectSlots(
            c.maxConnectingStreams(),
            loop -> {
              if (context.schedule(loop::slotGranted, 0) == null) {
                throw new IllegalStateException("closing");
              }
            });
    ExecutorService virtual = c.virtualThreads() ? VirtualThreads.executor() : null;
    this.groups =
        new MetricsGroups(
            Labels.of("manager", name).merge(c.constantLabels()),
            c.perStreamMetrics(),
            c.maxGroups());
    this.metrics = groups.ungrouped;
    RegistryBinding.attach(registry, groups);
    this.callbacks =
        c.virtualThreads()
            ? new CallbackExecutor(VirtualThreads.executor())
            : CallbackExecutor.platform(
                callbackThreads.factory("ws-manager-" + name + "-callback"));
    if (c.scheduler() != null) {
      this.scheduler = c.scheduler();
      this.ownsScheduler = false;
    } else {
      ScheduledThreadPoolExecutor owned =
          new ScheduledThreadPoolExecutor(1, threads.factory("ws-manager-" + name + "-scheduler"));
      owned.setRemoveOnCancelPolicy(true);
      this.scheduler = owned;
      this.ownsScheduler = true;
    }
    if (c.client() != null) {
      this.client = c.client();
      this.ownsClient = false;
    } else {
      this.client =
          createClient(
              virtual != null ? virtual : ioThreads(threads.factory("ws-manager-" + name + "-io")));
      this.ownsClient = true;
    }
    String okhttpThreads = "ws-manager-" + name + "-okhttp";
    this.clients =
        new ClientShards(
            client,
            ownsClient,
            c.virtualThreads()
                ? VirtualThreads.factory(okhttpThreads)
                : threads.factory(okhttpThreads),
            c.virtualThreads() ? ClientShards.SHARDS : PLATFORM_TASK_RUNNERS);
  }

  private static ExecutorService ioThreads(ThreadFactory factory) {
    return new ThreadPoolExecutor(
        0, Integer.MAX_VALUE, 60, TimeUnit.SECONDS, new SynchronousQueue<>(), factory);
  }

  /**
   * A client for many long-lived sockets: each OkHttp WebSocket holds one dispatcher thread and one
   * {@code maxRequests} slot for its whole life, so the default limit of 64 would starve the 65th
   * stream.
   */
  private static OkHttpClient createClient(ExecutorService ioThreads) {
    Dispatcher dispatcher = new Dispatcher(ioThreads);
    dispatcher.setMaxRequests(Integer.MAX_VALUE);
    dispatcher.setMaxRequestsPerHost(Integer.MAX_VALUE);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(0, 1, TimeUnit.SECONDS))
        .build();
  }

  public ManagedStream open(StreamSpec spec) {
    if (!running.get()) {
      throw new IllegalStateException(
          "manager '" + name + "' is closed; open streams on a manager that is running");
    }
    ReconnectPolicy policy =
        spec.reconnectPolicy() != null ? spec.reconnectPolicy() : defaultPolicy;
    ManagerMetrics groupMetrics = groups.forGroup(name, spec.group());
    StreamLoop loop = new StreamLoop(context, spec, policy, clients.next(spec), groupMetrics);
    loop.start(
        () -> {
          if (streams.putIfAbsent(spec.id(), loop) != null) {
            throw new IllegalArgumentException(
                "a stream with id '"
                    + spec.id()
                    + "' is already open in manager '"
                    + name
                    + "'; close it first (closeAsync() says when its id is free) or choose"
                    + " another id");
          }
          groupMetrics.streams.add(loop.handle);
          groupMetrics.creations.increment();
        });
    warnIfDispatcherTooSmall();
    return loop.handle;
  }

  private void warnIfDispatcherTooSmall() {
    if (ownsClient) {
      return;
    }
    int max = client.dispatcher().getMaxRequests();
    int live = streams.size();
    if (live > max && dispatcherWarned.compareAndSet(false, true)) {
      log.warn(
          "manager '{}' has {} streams but the OkHttpClient it was given allows only {} concurrent"
              + " calls (Dispatcher.maxRequests); each WebSocket holds one for its whole life, so"
              + " streams beyond that never connect. Raise dispatcher.setMaxRequests(...) or let the"
              + " manager create its own client.",
          name,
          live,
          max);
    }
  }

  public Optional<ManagedStream> stream(String id) {
    return Optional.ofNullable(streams.get(id)).map(loop -> loop.handle);
  }

  public List<StreamSnapshot> snapshots() {
    List<StreamSnapshot> out = new ArrayList<>(streams.size());
    for (StreamLoop loop : streams.values()) {
      out.add(loop.snapshot());
    }
    out.sort(Comparator.comparing(StreamSnapshot::id));
    return out;
  }

  public ManagerStats stats() {
    return groups.stats(running.get());
  }

  public Map<String, ManagerStats> groupStats() {
    return groups.groupStats(running.get());
  }

  /**
   * Reconnects the live stream {@code id} at once.
   *
   * @return whether a live stream with that id exists (and is not closing)
   */
  public boolean reconnect(String id) {
    StreamLoop loop = streams.get(id);
    StreamState before = loop == null ? null : loop.reconnect();
    if (before == null) {
      log.info(
          "WSManager admin: reconnect of stream '{}' in manager '{}': no such live stream",
          Redaction.printable(id),
          name);
      return false;
    }
    loop.metrics.adminOperation(ManagerMetrics.AdminOperation.RECONNECT, 1);
    log.info(
        "WSManager admin: reconnecting stream '{}' in manager '{}' (was {})",
        Redaction.printable(id),
        name,
        before.label());
    return true;
  }

  /**
   * Closes the live stream {@code id}, as {@code ManagedStream.close()} does.
   *
   * @return whether a live stream with that id existed and was not already closing
   */
  public boolean close(String id) {
    StreamLoop loop = streams.get(id);
    StreamState before = loop == null ? null : loop.state();
    if (before == null || before == StreamState.CLOSING || before == StreamState.CLOSED) {
      log.info(
          "WSManager admin: close of stream '{}' in manager '{}': no such live stream",
          Redaction.printable(id),
          name);
      return false;
    }
    loop.close();
    loop.metrics.adminOperation(ManagerMetrics.AdminOperation.CLOSE, 1);
    log.info(
        "WSManager admin: closed stream '{}' in manager '{}' (was {})",
        Redaction.printable(id),
        name,
        before.label());
    return true;
  }

  /**
   * Closes every live stream that received no message for at least {@code idle}.
   *
   * @return the ids of the streams closed, sorted
   */
  public List<String> closeIdle(Duration idle) {
    long now = clock.millis();
    long limit = idle.toMillis();
    List<String> closed = new ArrayList<>();
    for (StreamLoop loop : streams.values()) {
      StreamState state = loop.state();
      if (state == StreamState.CLOSING || state == StreamState.CLOSED) {
        continue;
      }
      if (loop.idleMillis(now) >= limit) {
        loop.close();
        loop.metrics.adminOperation(ManagerMetrics.AdminOperation.CLOSE_IDLE, 1);
        closed.add(loop.id());
      }
    }
    closed.sort(null);
    List<String> printable = new ArrayList<>(closed.size());
    for (String id : closed) {
      printable.add(Redaction.printable(id));
    }
    log.info(
        "WSManager admin: closed {} streams idle for {} or longer in manager '{}': {}",
        closed.size(),
        idle,
        name,
        printable);
    return closed;
  }

  public boolean isRunning() {
    return running.get();
  }

  public String name() {
    return name;
  }

  public PrometheusRegistry registry() {
    return registry;
  }

  public MetricSnapshots metricSnapshots() {
    return running.get() ? RegistryBinding.collect(List.of(groups)) : MetricSnapshots.of();
  }

  public void addHistogramObserver(HistogramObserver observer) {
    groups.histogramObservers.add(observer);
  }

  public void removeHistogramObserver(HistogramObserver observer) {
    groups.histogramObservers.remove(observer);
  }

  private void removed(StreamLoop loop) {
    if (loop.metrics.removeStream(loop.handle, () -> streams.remove(loop.id(), loop))) {
      loop.metrics.cleanups.increment();
    }
    loop.handle.removed();
    if (streams.isEmpty()) {
      drainLock.lock();
      try {
        drained.signalAll();
      } finally {
        drainLock.unlock();
      }
    }
  }

  /**
   * Closes every stream, waits up to {@code timeout} for the servers to answer and for the listener
   * callbacks to run, cancels what is left, stops the threads the engine created and removes the
   * manager's series. Returns within the timeout plus {@link #CLOSE_GRACE_NANOS}, and releases
   * everything even when something on the way throws.
   */
  public void close(Duration timeout) {
    if (!running.compareAndSet(true, false)) {
      return;
    }
    long start = System.nanoTime();
    long deadline =
        start + (timeout.compareTo(MAX_CLOSE_WAIT) > 0 ? MAX_CLOSE_WAIT : timeout).toNanos();
    try {
      log.info("closing manager '{}' with {} streams", name, streams.size());
      for (StreamLoop loop : streams.values()) {
        loop.close();
      }
      awaitDrained(deadline);
    } finally {
      try {
        for (StreamLoop loop : streams.values()) {
          loop.abort();
        }
        // even with no time left, give the last callbacks (onClosed) a moment to run
        callbacks.awaitIdle(Math.max(deadline, System.nanoTime() + CALLBACK_GRACE_NANOS));
      } finally {
        release();
      }
    }
  }

  private void awaitDrained(long deadline) {
    drainLock.lock();
    try {
      while (!streams.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          break;
        }
        drained.await(Math.min(left, 50_000_000L), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } finally {
      drainLock.unlock();
    }
  }

  /**
   * Stops every thread the engine created and removes its series; each step runs whatever throws.
   */
  private void release() {
    long grace = System.nanoTime() + CLOSE_GRACE_NANOS - CALLBACK_GRACE_NANOS;
    try {
      callbacks.stop(System.nanoTime() + CALLBACK_GRACE_NANOS);
      if (ownsScheduler) {
        scheduler.shutdownNow();
      }
      if (ownsClient) {
        ExecutorService io = clients.cancelAll();
        io.shutdown();
        clients.shutdown();
        awaitQuietly(io, grace);
      } else {
        clients.shutdown();
      }
      threads.join(grace);
      // interrupted at stop(): a callback thread still alive is stuck in user code
      List<Thread> stuck = callbackThreads.join(System.nanoTime() + 50_000_000L);
      if (!stuck.isEmpty()) {
        log.warn(
            "manager '{}' closed, but {} listener callbacks are still running and ignore interrupts"
                + " (thread {}); their threads end when they return",
            name,
            stuck.size(),
            stuck.get(0).getName());
      }
    } finally {
      RegistryBinding.detach(registry, groups);
      log.info("manager '{}' closed", name);
    }
  }

  private static void awaitQuietly(ExecutorService executor, long deadlineNanos) {
    try {
      long left = deadlineNanos - System.nanoTime();
      if (!executor.awaitTermination(Math.max(0, left), TimeUnit.NANOSECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }

  /** Handshakes in flight now (streams holding a connect slot); for tests. */
  public int connectsInFlight() {
    return connectSlots.inFlight();
  }

  /** The narrow view of the engine its streams get. */
  private final class Context implements StreamContext {
    @Override
    public long nowMillis() {
      return clock.millis();
    }

    @Override
    public long nowNanos() {
      Instant now = clock.instant();
      return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
      try {
        return scheduler.schedule(task, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
      } catch (RejectedExecutionException e) {
        return null; // shutting down: the stream is being closed anyway
      }
    }

    @Override
    public long reserveAdmissionNanos() {
      return admission.reserve(nowNanos());
    }

    @Override
    public boolean acquireConnectSlot(StreamLoop waiter) {
      return connectSlots.acquireOrWait(waiter);
    }

    @Override
    public void releaseConnectSlot() {
      connectSlots.release();
    }

    @Override
    public double random() {
      return random.getAsDouble();
    }

    @Override
    public long closeTimeoutMillis() {
      return closeTimeoutMillis;
    }

    @Override
    public long failedRetentionMillis() {
      return failedRetentionMillis;
    }

    @Override
    public CallbackExecutor callbacks() {
      return callbacks;
    }

    @Override
    public boolean isRunning() {
      return running.get();
    }

    @Override
    public void removed(StreamLoop loop) {
      Engine.this.removed(loop);
    }
  }
}
