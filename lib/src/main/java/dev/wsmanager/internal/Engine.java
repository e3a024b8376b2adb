package dev.wsmanager.internal;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.ManagerStats;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.metrics.HistogramObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.time.Instant;
import java.time.InstantSource;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.ScheduledThreadPoolExecutor;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
 * the admission limiter and the metrics. {@code dev.wsmanager.WsManager} is its public face.
 */
public final class Engine {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.WsManager");

  final String name;
  final InstantSource clock;
  final DoubleSupplier random;
  final ReconnectPolicy defaultPolicy;
  final Duration closeTimeout;
  final Duration failedRetention;
  final ManagerMetrics metrics;
  final AdmissionLimiter admission;

  private final ScheduledExecutorService scheduler;
  private final boolean ownsScheduler;
  private final OkHttpClient client;
  private final boolean ownsClient;
  private final PrometheusRegistry registry;
  private final Map<List<Long>, OkHttpClient> clientsByTimeouts = new ConcurrentHashMap<>();
  private final ConcurrentHashMap<String, StreamLoop> streams = new ConcurrentHashMap<>();
  private final AtomicBoolean running = new AtomicBoolean(true);
  private final AtomicBoolean dispatcherWarned = new AtomicBoolean();
  private final ReentrantLock drainLock = new ReentrantLock();
  private final Condition drained = drainLock.newCondition();

  /** Everything the public builder collected, already validated. */
  public record Config(
      String name,
      OkHttpClient client,
      ReconnectPolicy defaultPolicy,
      PrometheusRegistry registry,
      Labels constantLabels,
      boolean perStreamMetrics,
      double connectsPerSecond,
      int connectBurst,
      Duration closeTimeout,
      Duration failedRetention,
      InstantSource clock,
      ScheduledExecutorService scheduler,
      DoubleSupplier random,
      ExecutorService dispatcherExecutor) {}

  public Engine(Config c) {
    this.name = c.name();
    this.clock = c.clock();
    this.random = c.random();
    this.defaultPolicy = c.defaultPolicy();
    this.closeTimeout = c.closeTimeout();
    this.failedRetention = c.failedRetention();
    this.registry = c.registry();
    this.admission = new AdmissionLimiter(c.connectsPerSecond(), c.connectBurst());
    this.metrics =
        new ManagerMetrics(
            Labels.of("manager", name).merge(c.constantLabels()),
            c.perStreamMetrics(),
            streams::values);
    RegistryBinding.attach(registry, metrics);
    if (c.scheduler() != null) {
      this.scheduler = c.scheduler();
      this.ownsScheduler = false;
    } else {
      ScheduledThreadPoolExecutor owned =
          new ScheduledThreadPoolExecutor(1, threads("ws-manager-" + name + "-scheduler"));
      owned.setRemoveOnCancelPolicy(true);
      this.scheduler = owned;
      this.ownsScheduler = true;
    }
    if (c.client() != null) {
      this.client = c.client();
      this.ownsClient = false;
    } else {
      this.client = createClient(name, c.dispatcherExecutor());
      this.ownsClient = true;
    }
  }

  /**
   * A client for many long-lived sockets: each OkHttp WebSocket holds one dispatcher thread and one
   * {@code maxRequests} slot for its whole life, so the default limit of 64 would starve the 65th
   * stream.
   */
  private static OkHttpClient createClient(String name, ExecutorService executor) {
    ExecutorService ioThreads =
        executor != null
            ? executor
            : new ThreadPoolExecutor(
                0,
                Integer.MAX_VALUE,
                60,
                TimeUnit.SECONDS,
                new SynchronousQueue<>(),
                threads("ws-manager-" + name + "-io"));
    Dispatcher dispatcher = new Dispatcher(ioThreads);
    dispatcher.setMaxRequests(Integer.MAX_VALUE);
    dispatcher.setMaxRequestsPerHost(Integer.MAX_VALUE);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(0, 1, TimeUnit.SECONDS))
        .build();
  }

  static ThreadFactory threads(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return r -> {
      Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
      t.setDaemon(true);
      return t;
    };
  }

  public ManagedStream open(StreamSpec spec) {
    if (!running.get()) {
      throw new IllegalStateException(
          "manager '" + name + "' is closed; open streams on a manager that is running");
    }
    ReconnectPolicy policy = spec.reconnectPolicy() != null ? spec.reconnectPolicy() : defaultPolicy;
    StreamLoop loop = new StreamLoop(this, spec, policy, clientFor(spec));
    loop.start(
        () -> {
          if (streams.putIfAbsent(spec.id(), loop) != null) {
            throw new IllegalArgumentException(
                "a stream with id '" + spec.id() + "' is already open in manager '" + name
                    + "'; close it first or choose another id");
          }
          metrics.creations.increment();
        });
    warnIfDispatcherTooSmall();
    return loop;
  }

  /**
   * The client for a spec: the base client with the spec's ping interval, and OkHttp's own
   * connect and read timeouts a little longer than the spec's connect timeout, so that the
   * manager's timer, not a client default, decides when an attempt has taken too long. Clients
   * built from one base share its dispatcher and connection pool, so this costs no threads.
   */
  private OkHttpClient clientFor(StreamSpec spec) {
    long ping = spec.pingInterval().toMillis();
    long timeout = spec.connectTimeout().toMillis();
    return clientsByTimeouts.computeIfAbsent(
        List.of(ping, timeout),
        k ->
            client
                .newBuilder()
                .pingInterval(ping, TimeUnit.MILLISECONDS)
                .connectTimeout(timeout + 1_000, TimeUnit.MILLISECONDS)
                .readTimeout(timeout + 1_000, TimeUnit.MILLISECONDS)
                .build());
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
    return Optional.ofNullable(streams.get(id));
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
    return metrics.stats(running.get());
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
    return running.get() ? RegistryBinding.collect(List.of(metrics)) : MetricSnapshots.of();
  }

  public void addHistogramObserver(HistogramObserver observer) {
    metrics.histogramObservers.add(observer);
  }

  public void removeHistogramObserver(HistogramObserver observer) {
    metrics.histogramObservers.remove(observer);
  }

  Collection<StreamLoop> loops() {
    return streams.values();
  }

  ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
    try {
      return scheduler.schedule(task, Math.max(0, delayMillis), TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException e) {
      return null; // shutting down: the stream is being closed anyway
    }
  }

  long nowMillis() {
    return clock.millis();
  }

  long nowNanos() {
    Instant now = clock.instant();
    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
  }

  void removed(StreamLoop loop) {
    if (metrics.removeStream(loop, () -> streams.remove(loop.id(), loop))) {
      metrics.cleanups.increment();
    }
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
   * Closes every stream, waits up to {@code timeout} for the servers to answer, cancels what is
   * left, stops the threads the engine created and removes the manager's series.
   */
  public void close(Duration timeout) {
    if (!running.compareAndSet(true, false)) {
      return;
    }
    log.info("closing manager '{}' with {} streams", name, streams.size());
    for (StreamLoop loop : streams.values()) {
      loop.close();
    }
    long deadline = System.nanoTime() + timeout.toNanos();
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
    for (StreamLoop loop : streams.values()) {
      loop.abort();
    }
    if (ownsScheduler) {
      scheduler.shutdownNow();
      awaitQuietly(scheduler, timeout);
    }
    if (ownsClient) {
      ExecutorService io = client.dispatcher().executorService();
      client.dispatcher().cancelAll();
      io.shutdown();
      client.connectionPool().evictAll();
      awaitQuietly(io, timeout);
    }
    RegistryBinding.detach(registry, metrics);
    log.info("manager '{}' closed", name);
  }

  private static void awaitQuietly(ExecutorService executor, Duration timeout) {
    try {
      if (!executor.awaitTermination(Math.max(1, timeout.toMillis()), TimeUnit.MILLISECONDS)) {
        executor.shutdownNow();
      }
    } catch (InterruptedException e) {
      executor.shutdownNow();
      Thread.currentThread().interrupt();
    }
  }
}
