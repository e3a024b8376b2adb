package dev.wsmanager;

import dev.wsmanager.internal.Engine;
import dev.wsmanager.metrics.HistogramObserver;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Clock;
import java.time.Duration;
import java.time.InstantSource;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.DoubleSupplier;
import java.util.regex.Pattern;
import okhttp3.OkHttpClient;

/**
 * Keeps a service's outbound WebSocket streams open: opens them, reconnects them with jittered
 * exponential backoff, detects stale ones, cleans them up and exports what it does as Prometheus
 * metrics.
 *
 * <pre>{@code
 * try (WsManager manager = WsManager.builder().name("market-data").build()) {
 *   ManagedStream trades = manager.open(
 *       StreamSpec.builder("btc-trades", "wss://stream.example.com/ws")
 *           .subscribe("{\"op\":\"subscribe\",\"args\":[\"trades.BTCUSDT\"]}")
 *           .listener(new StreamListener() {
 *             @Override public void onText(ManagedStream stream, String text) { handle(text); }
 *           })
 *           .build());
 *   ...
 * }
 * }</pre>
 *
 * <p>Thread-safe. {@link #close()} closes every stream with 1000, waits a bounded time, cancels
 * what is left and leaves no thread, socket or metric series behind.
 *
 * <p>Threads: the manager's timers (backoff, connect and idle timeouts, close timeouts) run on one
 * scheduler thread that never runs user code. Listener callbacks run as described on {@link
 * StreamListener}.
 */
public final class WsManager implements AutoCloseable {
  /** The default wait in {@link #close()}: 5 seconds. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  /** The longest close timeout: 1 hour. */
  public static final Duration MAX_CLOSE_TIMEOUT = Duration.ofHours(1);

  /** The longest failed-stream retention: 7 days. */
  public static final Duration MAX_FAILED_STREAM_RETENTION = Duration.ofDays(7);

  /** The default cap on handshakes in flight: 1,000. */
  public static final int DEFAULT_MAX_CONNECTING_STREAMS = 1_000;

  /** The highest cap on handshakes in flight: 1,000,000. */
  public static final int MAX_CONNECTING_STREAMS_LIMIT = 1_000_000;

  /** The default most stream groups a manager allows: 20. */
  public static final int DEFAULT_MAX_GROUPS = 20;

  private final Engine engine;
  private final Duration closeTimeout;
  private final WsManagerJmx jmx;

  private WsManager(Engine engine, Duration closeTimeout, boolean jmx) {
    this.engine = engine;
    this.closeTimeout = closeTimeout;
    this.jmx = jmx ? WsManagerJmx.register(this) : null;
  }

  /** Test hook: handshakes in flight now. */
  int connectsInFlight() {
    return engine.connectsInFlight();
  }

  /**
   * A builder holding the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Opens a stream and starts connecting it. Returns at once; the stream reconnects on its own
   * until it is closed or gives up. A stream opened while {@link #close()} runs on another thread
   * is closed at once.
   *
   * @param spec what to connect to and how
   * @return the stream's handle
   * @throws IllegalArgumentException if a live stream already has {@code spec.id()}
   * @throws IllegalStateException if the manager is closed
   */
  public ManagedStream open(StreamSpec spec) {
    return engine.open(Check.notNull(spec, "open(spec): spec"));
  }

  /**
   * The live stream with this id.
   *
   * @param id a stream id
   * @return the stream, or empty when no live stream has that id
   */
  public Optional<ManagedStream> stream(String id) {
    return engine.stream(id);
  }

  /**
   * Snapshots of every live stream, sorted by id.
   *
   * @return the snapshots
   */
  public List<StreamSnapshot> streams() {
    return engine.snapshots();
  }

  /**
   * The manager's counters and gauges, read from the same state its metrics are.
   *
   * @return the stats
   */
  public ManagerStats stats() {
    return engine.stats();
  }

  /**
   * Each stream group's counters and gauges ({@link StreamSpec.Builder#group}), by group name.
   * Streams without a group are in none of them; {@link #stats()} counts every stream.
   *
   * @return the stats by group, sorted by name; empty when no stream has a group
   */
  public Map<String, ManagerStats> groupStats() {
    return engine.groupStats();
  }

  /**
   * Reconnects a stream now, for an operator: an open connection is closed with 1000 and a new one
   * opened; a stream backing off skips the rest of its wait; a {@link StreamState#FAILED} stream
   * starts over with a fresh attempt count. None of this is counted as a failure or a retry; it is
   * counted in {@code ws_manager_admin_operations_total{operation="reconnect"}} and logged.
   *
   * @param id a stream id
   * @return {@code true} if a live stream has that id (one already connecting is left alone);
   *     {@code false} if none has, or it is closing
   */
  public boolean reconnect(String id) {
    return engine.reconnect(Check.notNull(id, "id"));
  }

  /**
   * Closes a stream by id, as {@link ManagedStream#close()} does; counted in {@code
   * ws_manager_admin_operations_total{operation="close"}} and logged.
   *
   * @param id a stream id
   * @return {@code true} if a live stream had that id and was not already closing
   */
  public boolean close(String id) {
    return engine.close(Check.notNull(id, "id"));
  }

  /**
   * Closes every live stream that received no message for at least {@code idle} (counting from when
   * it was opened if it never received one), whatever its state; the clean-up an operator runs for
   * streams nobody feeds. Counted in {@code
   * ws_manager_admin_operations_total{operation="close_idle"}} and logged.
   *
   * @param idle how long without a message, positive
   * @return the ids of the streams it closed, sorted
   * @throws IllegalArgumentException if {@code idle} is not positive
   */
  public List<String> closeIdle(Duration idle) {
    Check.notNull(idle, "closeIdle(idle): idle");
    if (idle.isNegative() || idle.isZero()) {
      throw new IllegalArgumentException(
          "closeIdle needs a positive duration such as PT5M, was " + idle);
    }
    return engine.closeIdle(idle);
  }

  /**
   * Whether the manager is running, that is, not yet closing.
   *
   * @return {@code true} until {@link #close()} is called
   */
  public boolean isRunning() {
    return engine.isRunning();
  }

  /**
   * The registry the manager's metrics are registered on.
   *
   * @return the registry given to {@link Builder#registry}, or the default registry
   */
  public PrometheusRegistry registry() {
    return engine.registry();
  }

  /**
   * The manager's own series, exactly as its registry exports them, read from live state now. For
   * bridges to other metrics systems, such as {@code dev.wsmanager.micrometer.WsManagerMetrics}.
   *
   * @return the snapshots; empty once {@link #close()} has begun
   */
  public MetricSnapshots metricSnapshots() {
    return engine.metricSnapshots();
  }

  /**
   * Passes every value the manager's histograms record to {@code observer} from now on, for metrics
   * systems that keep their own histograms. The observer runs on the thread that records the value:
   * it must be quick and must not throw.
   *
   * @param observer the observer
   */
  public void addHistogramObserver(HistogramObserver observer) {
    engine.addHistogramObserver(Objects.requireNonNull(observer, "observer"));
  }

  /**
   * Stops passing values to an observer added with {@link #addHistogramObserver}.
   *
   * @param observer the observer
   */
  public void removeHistogramObserver(HistogramObserver observer) {
    engine.removeHistogramObserver(observer);
  }

  /**
   * The manager's name, the value of its {@code manager} label.
   *
   * @return the name
   */
  public String name() {
    return engine.name();
  }

  /** Closes the manager, waiting up to the configured close timeout. Idempotent. */
  @Override
  public void close() {
    close(closeTimeout);
  }

  /**
   * Closes every stream with 1000, waits up to {@code timeout} for the servers' replies and for
   * pending listener callbacks, cancels what is left, stops the threads and client the manager
   * created (never ones it was given) and removes the manager's metric series. Idempotent.
   *
   * <p>When it returns, every socket the manager opened is closed and every thread it created has
   * ended, with one exception: a listener callback still running after the timeout is interrupted
   * and given a moment to return; if it ignores that, its thread ends only when it returns (logged
   * as a WARN). Callbacks not yet started by then are dropped (logged). Returns within {@code
   * timeout} plus a fraction of a second, whatever the listeners do.
   *
   * @param timeout the longest to wait for streams to close cleanly; negative counts as zero,
   *     longer than {@link #MAX_CLOSE_TIMEOUT} as that
   */
  public void close(Duration timeout) {
    Check.notNull(timeout, "close(timeout): timeout");
    engine.close(timeout.isNegative() ? Duration.ZERO : timeout);
    if (jmx != null) {
      jmx.unregister();
    }
  }

  @Override
  public String toString() {
    return "WsManager{name=" + engine.name() + ", streams=" + engine.snapshots().size() + '}';
  }

  /** Builds a {@link WsManager}; {@link #build()} checks every value. */
  public static final class Builder {
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> RESERVED_LABELS =
        Set.of(
            "manager",
            "reason",
            "state",
            "stream",
            "le",
            "job",
            "instance",
            "quantile",
            "group",
            "result",
            "operation",
            "status");

    private String name = "default";
    private OkHttpClient client;
    private ReconnectPolicy reconnectPolicy = ReconnectPolicy.defaults();
    private PrometheusRegistry registry = PrometheusRegistry.defaultRegistry;
    private final Map<String, String> constantLabels = new LinkedHashMap<>();
    private boolean perStreamMetrics;
    private double connectsPerSecond = 100;
    private int connectBurst = 10;
    private int maxConnectingStreams = DEFAULT_MAX_CONNECTING_STREAMS;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
    private Duration failedRetention = Duration.ofMinutes(10);
    private InstantSource clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private boolean virtualThreads;
    private int maxGroups = DEFAULT_MAX_GROUPS;
    private boolean jmx;

    private Builder() {}

    /**
     * Limits the distinct stream groups ({@link StreamSpec.Builder#group}) of the manager; each
     * adds a set of series. {@link WsManager#open} throws for a stream whose group would exceed it.
     * Default {@value WsManager#DEFAULT_MAX_GROUPS}.
     *
     * @param max from 1 to 1000
     * @return this builder
     */
    public Builder maxGroups(int max) {
      this.maxGroups = max;
      return this;
    }

    /**
     * Registers the manager as the MXBean {@code dev.wsmanager:type=WsManager,name=<name>} on the
     * platform MBean server ({@link WsManagerMXBean}: its stats as attributes, reconnect, close and
     * closeIdle as operations) and unregisters it on close. Off by default, as in HikariCP: the
     * operations close streams, and several managers of one name would clash.
     *
     * @param enabled whether to register the MXBean; {@link #build()} throws {@link
     *     IllegalStateException} if an MXBean of the same name is registered already
     * @return this builder
     */
    public Builder jmx(boolean enabled) {
      this.jmx = enabled;
      return this;
    }

    /**
     * Runs the connections of the client the manager creates, and the listener callbacks, on
     * virtual threads (JDK 21 or newer), so platform threads no longer grow with the number of
     * streams. Connections of a client passed to {@link #okHttpClient} keep that client's threads.
     * Off by default.
     *
     * @param enabled whether to use virtual threads
     * @return this builder
     */
    public Builder virtualThreads(boolean enabled) {
      this.virtualThreads = enabled;
      return this;
    }

    /**
     * Sets the name.
     *
     * @param name the value of the {@code manager} label and the prefix of the manager's thread
     *     names; letters, digits, {@code _ . -}, at most 64 characters. Default {@code default}.
     * @return this builder
     */
    public Builder name(String name) {
      this.name = name;
      return this;
    }

    /**
     * Connects through the caller's client, which the manager never shuts down. Each WebSocket
     * holds one of the client's {@code Dispatcher.maxRequests} slots (64 by default) for its whole
     * life; the manager logs a warning when its streams outnumber them. The WebSockets do not use
     * the client's connection pool or task runner: a WebSocket connection is never reused, and
     * OkHttp walks every connection of a pool and every queue of a runner per event, so the manager
     * keeps its streams in pools and runners of its own, 64 streams to each. Without this the
     * manager creates a client sized for many long-lived sockets and shuts it down on close.
     *
     * @param client the client to use
     * @return this builder
     */
    public Builder okHttpClient(OkHttpClient client) {
      this.client = Check.notNull(client, "okHttpClient(client): client");
      return this;
    }

    /**
     * Sets the reconnect policy.
     *
     * @param policy the reconnect policy of streams whose spec sets none
     * @return this builder
     */
    public Builder reconnectPolicy(ReconnectPolicy policy) {
      this.reconnectPolicy = Check.notNull(policy, "reconnectPolicy(policy): policy");
      return this;
    }

    /**
     * Sets the registry.
     *
     * @param registry where the manager's metrics are registered; several managers may share one.
     *     Default {@link PrometheusRegistry#defaultRegistry}.
     * @return this builder
     */
    public Builder registry(PrometheusRegistry registry) {
      this.registry = Check.notNull(registry, "registry(registry): registry");
      return this;
    }

    /**
     * Adds a label to every series of this manager, for hosts that cannot relabel at scrape time
     * (for example {@code track="canary"}).
     *
     * @param name a Prometheus label name other than {@code manager}, {@code reason}, {@code
     *     state}, {@code stream}
     * @param value the label value
     * @return this builder
     */
    public Builder constantLabel(String name, String value) {
      Check.notNull(name, "constantLabel(name, value): name");
      constantLabels.put(name, Check.notNull(value, "constantLabel '" + name + "': value"));
      return this;
    }

    /**
     * Adds a {@code stream} label (the stream id) to the attempt, received and sent counters, one
     * series each per live stream. Off by default: series counts then stay constant however many
     * streams are open. Turn it on only for a bounded number of streams.
     *
     * @param enabled whether to export per-stream series
     * @return this builder
     */
    public Builder perStreamMetrics(boolean enabled) {
      this.perStreamMetrics = enabled;
      return this;
    }

    /**
     * Limits connection attempts across the whole manager, so an outage across thousands of streams
     * does not end in a thundering herd. Default 100 per second, bursts of 10.
     *
     * @param perSecond attempts per second, positive
     * @param burst attempts allowed at once, at least 1
     * @return this builder
     */
    public Builder maxConnectsPerSecond(double perSecond, int burst) {
      this.connectsPerSecond = perSecond;
      this.connectBurst = burst;
      return this;
    }

    /**
     * Caps the handshakes in flight across the whole manager, beside the rate of {@link
     * #maxConnectsPerSecond}. A stream whose attempt is due while the cap is reached stays {@link
     * StreamState#CONNECTING} and waits in line, first come first served; its connect timeout
     * starts only when its handshake does. A slot is freed when a handshake opens, fails, times out
     * or its stream is closed. Without a cap, thousands of slow handshakes (a loaded machine or
     * server) all start, time out together and start again; with it they complete a batch at a
     * time. Default {@value #DEFAULT_MAX_CONNECTING_STREAMS}.
     *
     * @param max handshakes at once, from 1 to {@value #MAX_CONNECTING_STREAMS_LIMIT}
     * @return this builder
     */
    public Builder maxConnectingStreams(int max) {
      this.maxConnectingStreams = max;
      return this;
    }

    /**
     * Sets the close timeout.
     *
     * @param timeout how long {@link WsManager#close()} and {@link ManagedStream#close()} wait for
     *     the server's close reply before cancelling, from 0 to {@link #MAX_CLOSE_TIMEOUT}, in
     *     whole milliseconds. Default 5 seconds.
     * @return this builder
     */
    public Builder closeTimeout(Duration timeout) {
      this.closeTimeout = Check.notNull(timeout, "closeTimeout(timeout): timeout");
      return this;
    }

    /**
     * Sets the failed stream retention.
     *
     * @param retention how long a {@link StreamState#FAILED} stream stays listed before it is
     *     cleaned up, from 0 to {@link #MAX_FAILED_STREAM_RETENTION}, in whole milliseconds.
     *     Default 10 minutes.
     * @return this builder
     */
    public Builder failedStreamRetention(Duration retention) {
      this.failedRetention =
          Check.notNull(retention, "failedStreamRetention(retention): retention");
      return this;
    }

    /** Test hook, reached from tests only: the source of time for backoff and timeouts. */
    Builder clock(InstantSource clock) {
      this.clock = Check.notNull(clock, "clock");
      return this;
    }

    /**
     * Test hook: runs the manager's timers on this scheduler, which the manager never shuts down.
     */
    Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Check.notNull(scheduler, "scheduler");
      return this;
    }

    /** Test hook: uniform numbers in {@code [0, 1)} for jitter. */
    Builder random(DoubleSupplier random) {
      this.random = Check.notNull(random, "random");
      return this;
    }

    /**
     * Checks the values and builds the manager.
     *
     * @return a running manager
     * @throws IllegalArgumentException naming the first bad value and what is expected
     */
    public WsManager build() {
      if (name == null || !name.matches("[A-Za-z0-9_.-]{1,64}")) {
        throw new IllegalArgumentException(
            "name must be 1 to 64 letters, digits, '_', '.' or '-', was '" + name + "'");
      }
      for (String label : constantLabels.keySet()) {
        if (!LABEL_NAME.matcher(label).matches() || label.startsWith("__")) {
          throw new IllegalArgumentException(
              "constant label name '"
                  + label
                  + "' is not a valid Prometheus label name;"
                  + " use letters, digits and '_', not starting with a digit or '__'");
        }
        if (RESERVED_LABELS.contains(label)) {
          throw new IllegalArgumentException(
              "constant label name '" + label + "' is reserved; choose another name");
        }
      }
      if (!(connectsPerSecond > 0) || Double.isInfinite(connectsPerSecond)) {
        throw new IllegalArgumentException(
            "maxConnectsPerSecond must be a positive finite number, was " + connectsPerSecond);
      }
      if (connectBurst < 1) {
        throw new IllegalArgumentException("connect burst must be at least 1, was " + connectBurst);
      }
      if (maxConnectingStreams < 1 || maxConnectingStreams > MAX_CONNECTING_STREAMS_LIMIT) {
        throw new IllegalArgumentException(
            "maxConnectingStreams must be from 1 to "
                + MAX_CONNECTING_STREAMS_LIMIT
                + ", was "
                + maxConnectingStreams);
      }
      Check.duration("closeTimeout", closeTimeout, Duration.ZERO, MAX_CLOSE_TIMEOUT, null);
      Check.duration(
          "failedStreamRetention",
          failedRetention,
          Duration.ZERO,
          MAX_FAILED_STREAM_RETENTION,
          null);
      if (maxGroups < 1 || maxGroups > 1000) {
        throw new IllegalArgumentException("maxGroups must be within [1, 1000], was " + maxGroups);
      }
      if (jmx) {
        WsManagerJmx.checkAvailable(name);
      }
      Labels labels = Labels.EMPTY;
      for (Map.Entry<String, String> e : constantLabels.entrySet()) {
        labels = labels.add(e.getKey(), e.getValue());
      }
      Engine engine =
          new Engine(
              new Engine.Config(
                  name,
                  client,
                  reconnectPolicy,
                  registry,
                  labels,
                  perStreamMetrics,
                  connectsPerSecond,
                  connectBurst,
                  maxConnectingStreams,
                  closeTimeout,
                  failedRetention,
                  clock,
                  scheduler,
                  random,
                  virtualThreads,
                  maxGroups));
      try {
        return new WsManager(engine, closeTimeout, jmx);
      } catch (RuntimeException e) {
        engine.close(Duration.ZERO);
        throw e;
      }
    }
  }
}
