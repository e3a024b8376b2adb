package dev.wsmanager.micrometer;

import dev.wsmanager.WsManager;
import dev.wsmanager.metrics.HistogramObserver;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.DataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Label;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricMetadata;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * Binds a {@link WsManager}'s metrics to a Micrometer {@link MeterRegistry}, for services whose
 * metrics flow through Micrometer (to Prometheus, Datadog, OTLP, CloudWatch, ...).
 *
 * <pre>{@code
 * new WsManagerMetrics(manager).bindTo(meterRegistry);
 * }</pre>
 *
 * <p>Every series the manager exports natively becomes one meter: counters become function
 * counters, gauges gauges, and each histogram (connect duration, heartbeat round trip, message
 * delay) a {@link Timer} with the same bucket bounds (service level objectives), fed with every
 * recorded value. Meter names are the native names in Micrometer's dotted form ({@code
 * ws_manager_retry_count_total} becomes {@code ws.manager.retry.count}), tags are the native
 * labels, so that through Micrometer's Prometheus naming a {@code PrometheusMeterRegistry} exports
 * exactly the native series and label names and the project's alert rules and dashboard work
 * unchanged. The only additions are Micrometer's own {@code _max} gauges, one per timer (such as
 * {@code ws_manager_connect_duration_seconds_max}).
 *
 * <p>Values are read from the manager's live state when the registry reads them (at most once per
 * {@value #REFRESH_MILLIS} ms); series with new label values, such as a new stream's when
 * per-stream metrics are on, appear from the next read on. When the manager closes, or when {@link
 * #close()} is called, the meters are removed.
 *
 * <p>Do not bind it to a {@code PrometheusMeterRegistry} whose {@code PrometheusRegistry} the
 * manager also registers on: the series would be exported twice. Register the manager on that
 * registry instead ({@link WsManager.Builder#registry}).
 */
public final class WsManagerMetrics implements MeterBinder, AutoCloseable {
  /** How long values read from the manager are reused, in milliseconds. */
  static final long REFRESH_MILLIS = 100;

  private final WsManager manager;
  private final Tags tags;
  private final LongSupplier nanoTime;
  private final HistogramObserver observer = this::observe;

  // Guarded by this.
  private MeterRegistry registry;
  private final Map<String, Meter> meters = new HashMap<>();
  private final Map<String, Double> values = new HashMap<>();
  private long readAtNanos;
  private boolean closed;

  // Written under this, read by recording threads.
  private volatile Map<String, Recorder> recorders = Map.of();

  /**
   * Binds the manager's metrics with no tags beyond its own labels.
   *
   * @param manager the manager
   */
  public WsManagerMetrics(WsManager manager) {
    this(manager, Tags.empty());
  }

  /**
   * Binds the manager's metrics with extra tags on every meter.
   *
   * @param manager the manager
   * @param tags tags added to every meter; their keys must differ from the manager's label names
   */
  public WsManagerMetrics(WsManager manager, Iterable<Tag> tags) {
    this(manager, tags, System::nanoTime);
  }

  WsManagerMetrics(WsManager manager, Iterable<Tag> tags, LongSupplier nanoTime) {
    this.manager = Objects.requireNonNull(manager, "manager");
    this.tags = Tags.of(Objects.requireNonNull(tags, "tags"));
    this.nanoTime = nanoTime;
  }

  /**
   * Registers a meter for each of the manager's current series and starts feeding its timers.
   *
   * @param registry the registry; one binder binds to one registry (use one binder per registry, or
   *     a {@code CompositeMeterRegistry})
   * @throws IllegalStateException if this binder is already bound to another registry or closed
   */
  @Override
  public synchronized void bindTo(MeterRegistry registry) {
    Objects.requireNonNull(registry, "registry");
    if (closed) {
      throw new IllegalStateException("this WsManagerMetrics is closed; create a new one");
    }
    if (this.registry != null && this.registry != registry) {
      throw new IllegalStateException(
          "this WsManagerMetrics is already bound to another MeterRegistry; create one binder per"
              + " registry or bind to a CompositeMeterRegistry");
    }
    this.registry = registry;
    manager.addHistogramObserver(observer);
    sync(manager.metricSnapshots());
  }

  /** Removes the meters this binder registered and stops feeding its timers. Idempotent. */
  @Override
  public synchronized void close() {
    closed = true;
    manager.removeHistogramObserver(observer);
    sync(MetricSnapshots.of());
  }

  private synchronized double value(String key) {
    long now = nanoTime.getAsLong();
    if (!closed && now - readAtNanos >= TimeUnit.MILLISECONDS.toNanos(REFRESH_MILLIS)) {
      readAtNanos = now;
      MetricSnapshots snapshots = manager.metricSnapshots();
      if (snapshots.size() == 0) {
        manager.removeHistogramObserver(observer);
      }
      sync(snapshots);
    }
    Double v = values.get(key);
    return v == null ? Double.NaN : v;
  }

  private void observe(String name, Labels labels, double value) {
    Recorder r = recorders.get(key(name, labels));
    if (r != null) {
      r.record(value);
    }
  }

  /** Takes the values of these snapshots and makes the meters match their series. */
  private void sync(MetricSnapshots snapshots) {
    values.clear();
    Map<String, Recorder> newRecorders = new HashMap<>();
    Map<String, Meter> seen = new HashMap<>();
    for (MetricSnapshot snapshot : snapshots) {
      MetricMetadata meta = snapshot.getMetadata();
      for (DataPointSnapshot point : snapshot.getDataPoints()) {
        String key = key(meta.getPrometheusName(), point.getLabels());
        Meter meter = meters.get(key);
        if (snapshot instanceof CounterSnapshot) {
          values.put(key, ((CounterDataPointSnapshot) point).getValue());
          if (meter == null) {
            meter =
                FunctionCounter.builder(meterName(meta), manager, m -> value(key))
                    .description(meta.getHelp())
                    .baseUnit(unit(meta))
                    .tags(tags(point.getLabels()))
                    .register(registry);
          }
        } else if (snapshot instanceof GaugeSnapshot) {
          values.put(key, ((GaugeDataPointSnapshot) point).getValue());
          if (meter == null) {
            meter =
                Gauge.builder(meterName(meta), manager, m -> value(key))
                    .description(meta.getHelp())
                    .baseUnit(unit(meta))
                    .tags(tags(point.getLabels()))
                    .register(registry);
          }
        } else if (snapshot instanceof HistogramSnapshot) {
          if (meter == null) {
            meter = histogram(meta, (HistogramDataPointSnapshot) point);
          }
          newRecorders.put(key, recorder(meter));
        } else {
          continue; // the manager exports no other types
        }
        seen.put(key, meter);
      }
    }
    for (Map.Entry<String, Meter> e : meters.entrySet()) {
      if (!seen.containsKey(e.getKey())) {
        registry.remove(e.getValue());
      }
    }
    meters.clear();
    meters.putAll(seen);
    recorders = Map.copyOf(newRecorders);
  }

  private Meter histogram(MetricMetadata meta, HistogramDataPointSnapshot point) {
    ClassicHistogramBuckets buckets = point.getClassicBuckets();
    List<Double> bounds = new ArrayList<>();
    for (int i = 0; i < buckets.size(); i++) {
      double bound = buckets.getUpperBound(i);
      if (!Double.isInfinite(bound)) {
        bounds.add(bound);
      }
    }
    if ("seconds".equals(unit(meta))) {
      Duration[] slos = new Duration[bounds.size()];
      for (int i = 0; i < slos.length; i++) {
        slos[i] = Duration.ofNanos(Math.round(bounds.get(i) * 1e9));
      }
      return Timer.builder(meterName(meta))
          .description(meta.getHelp())
          .tags(tags(point.getLabels()))
          .serviceLevelObjectives(slos)
          .register(registry);
    }
    double[] slos = new double[bounds.size()];
    for (int i = 0; i < slos.length; i++) {
      slos[i] = bounds.get(i);
    }
    return DistributionSummary.builder(meterName(meta))
        .description(meta.getHelp())
        .baseUnit(unit(meta))
        .tags(tags(point.getLabels()))
        .serviceLevelObjectives(slos)
        .register(registry);
  }

  private static Recorder recorder(Meter meter) {
    if (meter instanceof Timer) {
      Timer timer = (Timer) meter;
      return seconds -> timer.record(Math.round(seconds * 1e9), TimeUnit.NANOSECONDS);
    }
    DistributionSummary summary = (DistributionSummary) meter;
    return summary::record;
  }

  private Tags tags(Labels labels) {
    Tags out = tags;
    for (Label label : labels) {
      out = out.and(label.getName(), label.getValue());
    }
    return out;
  }

  private static String unit(MetricMetadata meta) {
    return meta.getUnit() == null ? null : meta.getUnit().toString();
  }

  /** The native name without its unit suffix, dotted: Micrometer's naming puts the unit back. */
  static String meterName(MetricMetadata meta) {
    String name = meta.getPrometheusName();
    String unit = unit(meta);
    if (unit != null && name.endsWith("_" + unit)) {
      name = name.substring(0, name.length() - unit.length() - 1);
    }
    return name.replace('_', '.');
  }

  private static String key(String name, Labels labels) {
    StringBuilder key = new StringBuilder(name);
    for (Label label : labels) {
      key.append('\0').append(label.getName()).append('=').append(label.getValue());
    }
    return key.toString();
  }

  @FunctionalInterface
  private interface Recorder {
    void record(double value);
  }

  @Override
  public String toString() {
    return "WsManagerMetrics{manager=" + manager.name() + '}';
  }
}
