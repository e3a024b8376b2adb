package dev.wsmanager;

import dev.wsmanager.internal.Engine;
import dev.wsmanager.internal.VirtualThreads;
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
 */
public final class WsManager implements AutoCloseable {
  /** The default wait in {@link #close()}: 5 seconds. */
  public static final Duration DEFAULT_CLOSE_TIMEOUT = Duration.ofSeconds(5);

  private final Engine engine;
  private final Duration closeTimeout;

  private WsManager(Engine engine, Duration closeTimeout) {
    this.engine = engine;
    this.closeTimeout = closeTimeout;
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
    return engine.open(Objects.requireNonNull(spec, "spec"));
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
   * Passes every value the manager's histograms record to {@code observer} from now on, for
   * metrics systems that keep their own histograms. The observer runs on the thread that records
   * the value: it must be quick and must not throw.
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
   * Closes every stream with 1000, waits up to {@code timeout} for the servers' replies, cancels
   * what is left, stops the threads and client the manager created (never ones it was given) and
   * removes the manager's metric series. Idempotent.
   *
   * @param timeout the longest to wait for streams to close cleanly
   */
  public void close(Duration timeout) {
    Objects.requireNonNull(timeout, "timeout");
    engine.close(timeout.isNegative() ? Duration.ZERO : timeout);
  }

  @Override
  public String toString() {
    return "WsManager{name=" + engine.name() + ", streams=" + engine.snapshots().size() + '}';
  }

  /** Builds a {@link WsManager}; {@link #build()} checks every value. */
  public static final class Builder {
    private static final Pattern LABEL_NAME = Pattern.compile("[a-zA-Z_][a-zA-Z0-9_]*");
    private static final Set<String> RESERVED_LABELS =
        Set.of("manager", "reason", "state", "stream", "le", "job", "instance", "quantile");

    private String name = "default";
    private OkHttpClient client;
    private ReconnectPolicy reconnectPolicy = ReconnectPolicy.defaults();
    private PrometheusRegistry registry = PrometheusRegistry.defaultRegistry;
    private final Map<String, String> constantLabels = new LinkedHashMap<>();
    private boolean perStreamMetrics;
    private double connectsPerSecond = 100;
    private int connectBurst = 10;
    private Duration closeTimeout = DEFAULT_CLOSE_TIMEOUT;
    private Duration failedRetention = Duration.ofMinutes(10);
    private InstantSource clock = Clock.systemUTC();
    private ScheduledExecutorService scheduler;
    private DoubleSupplier random = () -> ThreadLocalRandom.current().nextDouble();
    private boolean virtualThreads;

    private Builder() {}

    /**
     * Runs the connections of the client the manager creates on virtual threads (JDK 21 or newer),
     * so platform threads no longer grow with the number of streams. Ignored when a client is passed
     * to {@link #okHttpClient}. Off by default.
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
     * life; the manager logs a warning when its streams outnumber them. Without this the manager
     * creates a client sized for many long-lived sockets and shuts it down on close.
     *
     * @param client the client to use
     * @return this builder
     */
    public Builder okHttpClient(OkHttpClient client) {
      this.client = Objects.requireNonNull(client, "client");
      return this;
    }

    /**
     * Sets the reconnect policy.
     *
     * @param policy the reconnect policy of streams whose spec sets none
     * @return this builder
     */
    public Builder reconnectPolicy(ReconnectPolicy policy) {
      this.reconnectPolicy = Objects.requireNonNull(policy, "policy");
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
      this.registry = Objects.requireNonNull(registry, "registry");
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
      constantLabels.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
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
     * Limits connection attempts across the whole manager, so an outage across thousands of
     * streams does not end in a thundering herd. Default 100 per second, bursts of 10.
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
     * Sets the close timeout.
     *
     * @param timeout how long {@link WsManager#close()} and {@link ManagedStream#close()} wait for
     *     the server's close reply before cancelling. Default 5 seconds.
     * @return this builder
     */
    public Builder closeTimeout(Duration timeout) {
      this.closeTimeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Sets the failed stream retention.
     *
     * @param retention how long a {@link StreamState#FAILED} stream stays listed before it is
     *     cleaned up. Default 10 minutes.
     * @return this builder
     */
    public Builder failedStreamRetention(Duration retention) {
      this.failedRetention = Objects.requireNonNull(retention, "retention");
      return this;
    }

    /**
     * Sets the clock.
     *
     * @param clock the source of time for backoff, timeouts and timestamps; for tests
     * @return this builder
     */
    public Builder clock(InstantSource clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Runs the manager's timers on the caller's scheduler, which the manager never shuts down.
     * For tests, or to share a scheduler. Without this the manager starts one daemon thread.
     *
     * @param scheduler the scheduler
     * @return this builder
     */
    public Builder scheduler(ScheduledExecutorService scheduler) {
      this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
      return this;
    }

    /**
     * Sets the random.
     *
     * @param random uniform numbers in {@code [0, 1)} for jitter; for tests
     * @return this builder
     */
    public Builder random(DoubleSupplier random) {
      this.random = Objects.requireNonNull(random, "random");
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
              "constant label name '" + label + "' is not a valid Prometheus label name;"
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
      if (closeTimeout.isNegative()) {
        throw new IllegalArgumentException("closeTimeout must not be negative, was " + closeTimeout);
      }
      if (failedRetention.isNegative()) {
        throw new IllegalArgumentException(
            "failedStreamRetention must not be negative, was " + failedRetention);
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
                  closeTimeout,
                  failedRetention,
                  clock,
                  scheduler,
                  random,
                  virtualThreads ? VirtualThreads.executor() : null));
      return new WsManager(engine, closeTimeout);
    }
  }
}
