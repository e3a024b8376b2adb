package dev.wsmanager.internal;

import static dev.wsmanager.metrics.MetricNames.LABEL_OPERATION;
import static dev.wsmanager.metrics.MetricNames.LABEL_REASON;
import static dev.wsmanager.metrics.MetricNames.LABEL_RESULT;
import static dev.wsmanager.metrics.MetricNames.LABEL_STATE;
import static dev.wsmanager.metrics.MetricNames.LABEL_STATUS;

import dev.wsmanager.FailureReason;
import dev.wsmanager.StreamState;
import dev.wsmanager.metrics.MetricNames;
import io.prometheus.metrics.model.registry.MultiCollector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.CounterSnapshot.CounterDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot.GaugeDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import io.prometheus.metrics.model.snapshots.Unit;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * The one collector per {@link PrometheusRegistry} that exports every manager registered on it, so
 * that managers can share a registry and a closed manager's series disappear with it. Values are
 * read from the managers' live counters at scrape time.
 */
final class RegistryBinding implements MultiCollector {
  private static final Map<PrometheusRegistry, RegistryBinding> BINDINGS = new IdentityHashMap<>();
  private static final FailureReason[] REASONS = FailureReason.values();
  private static final StreamState[] STATES = StreamState.values();

  private static final ManagerMetrics.AdminOperation[] OPERATIONS =
      ManagerMetrics.AdminOperation.values();

  private final List<MetricsGroups> managers = new CopyOnWriteArrayList<>();

  private RegistryBinding() {}

  static void attach(PrometheusRegistry registry, MetricsGroups metrics) {
    synchronized (BINDINGS) {
      RegistryBinding binding = BINDINGS.get(registry);
      if (binding == null) {
        binding = new RegistryBinding();
        registry.register(binding);
        BINDINGS.put(registry, binding);
      }
      for (MetricsGroups other : binding.managers) {
        if (other.labels.equals(metrics.labels)) {
          throw new IllegalArgumentException(
              "a manager with labels "
                  + metrics.labels
                  + " is already registered on this"
                  + " PrometheusRegistry; give each manager a unique name()");
        }
      }
      binding.managers.add(metrics);
    }
  }

  static void detach(PrometheusRegistry registry, MetricsGroups metrics) {
    synchronized (BINDINGS) {
      RegistryBinding binding = BINDINGS.get(registry);
      if (binding != null && binding.managers.remove(metrics) && binding.managers.isEmpty()) {
        registry.unregister(binding);
        BINDINGS.remove(registry);
      }
    }
  }

  @Override
  public MetricSnapshots collect() {
    return collect(managers);
  }

  /** The series of these managers, read from their live counters now. */
  static MetricSnapshots collect(List<MetricsGroups> managers) {
    Families f = new Families();
    for (MetricsGroups g : managers) {
      for (ManagerMetrics m : g.all()) {
        f.add(m);
      }
    }
    return f.build();
  }

  /** One builder per metric family; {@link #add} adds one manager group's data points. */
  private static final class Families {
    final GaugeSnapshot.Builder active =
        GaugeSnapshot.builder()
            .name(MetricNames.ACTIVE_CONNECTIONS)
            .help("WebSocket connections currently open");
    final GaugeSnapshot.Builder hwm =
        GaugeSnapshot.builder()
            .name(MetricNames.ACTIVE_CONNECTIONS_HWM)
            .help("Most WebSocket connections open at once since the manager started");
    final GaugeSnapshot.Builder streams =
        GaugeSnapshot.builder().name(MetricNames.STREAMS).help("Live streams by state");
    final CounterSnapshot.Builder failures =
        counter(
            MetricNames.CONNECTION_FAILURES,
            "Connection attempts that failed and open connections that ended abnormally, by reason");
    final HistogramSnapshot.Builder connect =
        HistogramSnapshot.builder()
            .name(MetricNames.CONNECT_DURATION)
            .unit(Unit.SECONDS)
            .help(
                "Time from the start of a connection attempt to the completed WebSocket handshake");
    final CounterSnapshot.Builder retries =
        counter(MetricNames.RETRY_COUNT, "Reconnects scheduled after a failure or disconnect");
    final CounterSnapshot.Builder creations =
        counter(MetricNames.STREAM_CREATIONS, "Streams opened");
    final CounterSnapshot.Builder cleanups =
        counter(MetricNames.STREAM_CLEANUPS, "Streams closed and removed from their manager");
    final CounterSnapshot.Builder attempts =
        counter(MetricNames.CONNECTION_ATTEMPTS, "Connection attempts, first ones and retries");
    final CounterSnapshot.Builder received =
        counter(MetricNames.MESSAGES_RECEIVED, "WebSocket messages received");
    final CounterSnapshot.Builder sent =
        counter(MetricNames.MESSAGES_SENT, "WebSocket messages queued for sending");
    final CounterSnapshot.Builder listenerErrors =
        counter(MetricNames.LISTENER_ERRORS, "Listener callbacks and subscribe hooks that threw");
    final CounterSnapshot.Builder serverWaits =
        counter(
            MetricNames.SERVER_DIRECTED_WAITS,
            "Reconnects that waited longer than their backoff because the server's Retry-After asked");
    final CounterSnapshot.Builder serverWaitSeconds =
        counter(
            MetricNames.SERVER_DIRECTED_WAIT_SECONDS,
            "Seconds Retry-After added to reconnect delays beyond their backoff");
    final CounterSnapshot.Builder rejections =
        counter(
            MetricNames.HANDSHAKE_REJECTIONS,
            "Handshakes answered with an HTTP status instead of 101, by status");
    final CounterSnapshot.Builder sendsRejected =
        counter(MetricNames.SENDS_REJECTED, "send() calls that returned false, by reason");
    final CounterSnapshot.Builder dropped =
        counter(MetricNames.MESSAGES_DROPPED, "Messages a full delivery queue dropped");
    final GaugeSnapshot.Builder queueDepth =
        GaugeSnapshot.builder()
            .name(MetricNames.DELIVERY_QUEUE_DEPTH)
            .help("Messages waiting in the delivery queues of streams with queued delivery");
    final CounterSnapshot.Builder heartbeats =
        counter(MetricNames.HEARTBEATS, "Application heartbeats by result: success or timeout");
    final HistogramSnapshot.Builder heartbeatRtt =
        HistogramSnapshot.builder()
            .name(MetricNames.HEARTBEAT_RTT)
            .unit(Unit.SECONDS)
            .help("Time from sending an application heartbeat to receiving its reply");
    final HistogramSnapshot.Builder delay =
        HistogramSnapshot.builder()
            .name(MetricNames.MESSAGE_DELAY)
            .unit(Unit.SECONDS)
            .help("Time from a message's event time, set by the server, to its arrival here");
    final CounterSnapshot.Builder negativeDelay =
        counter(
            MetricNames.MESSAGE_DELAY_NEGATIVE,
            "Messages whose event time lay ahead of this host's clock (clock skew)");
    final CounterSnapshot.Builder admin =
        counter(
            MetricNames.ADMIN_OPERATIONS,
            "Streams reconnected or closed by an operator, by operation");

    void add(ManagerMetrics m) {
      Labels labels = m.labels;
      active.dataPoint(gauge(labels, m.state(StreamState.OPEN)));
      hwm.dataPoint(gauge(labels, m.hwm.get()));
      for (StreamState s : STATES) {
        if (s != StreamState.CLOSED) {
          streams.dataPoint(gauge(labels.add(LABEL_STATE, s.label()), m.state(s)));
        }
      }
      for (FailureReason r : REASONS) {
        failures.dataPoint(
            count(labels.add(LABEL_REASON, r.label()), m.failures[r.ordinal()].sum()));
      }
      connect.dataPoint(histogram(m));
      retries.dataPoint(count(labels, m.retries.sum()));
      creations.dataPoint(count(labels, m.creations.sum()));
      cleanups.dataPoint(count(labels, m.cleanups.sum()));
      listenerErrors.dataPoint(count(labels, m.listenerErrors.sum()));
      serverWaits.dataPoint(count(labels, m.serverDirectedWaits.sum()));
      serverWaitSeconds.dataPoint(
          CounterDataPointSnapshot.builder()
              .labels(labels)
              .value(m.serverDirectedWaitMillis.sum() / 1000.0)
              .build());
      for (int i = 0; i < ManagerMetrics.HANDSHAKE_STATUSES.length; i++) {
        rejections.dataPoint(
            count(
                labels.add(LABEL_STATUS, ManagerMetrics.HANDSHAKE_STATUSES[i]),
                m.handshakeRejections[i].sum()));
      }
      for (ManagerMetrics.SendRejection r : ManagerMetrics.SendRejection.values()) {
        sendsRejected.dataPoint(
            count(labels.add(LABEL_REASON, r.label()), m.sendsRejected[r.ordinal()].sum()));
      }
      dropped.dataPoint(count(labels, m.messagesDropped.sum()));
      queueDepth.dataPoint(gauge(labels, m.deliveryQueueDepth.get()));
      if (m.perStream) {
        for (ManagerMetrics.StreamCounters s : m.streams) {
          Labels streamLabels = s.labels(labels);
          attempts.dataPoint(count(streamLabels, s.attempts()));
          received.dataPoint(count(streamLabels, s.received()));
          sent.dataPoint(count(streamLabels, s.sent()));
        }
      } else {
        attempts.dataPoint(count(labels, m.attempts.sum()));
        received.dataPoint(count(labels, m.received()));
        sent.dataPoint(count(labels, m.sent.sum()));
      }
      heartbeats.dataPoint(count(labels.add(LABEL_RESULT, "success"), m.heartbeatSuccesses.sum()));
      heartbeats.dataPoint(count(labels.add(LABEL_RESULT, "timeout"), m.heartbeatTimeouts.sum()));
      heartbeatRtt.dataPoint(m.heartbeatRtt.snapshot(labels));
      delay.dataPoint(m.messageDelay.snapshot(labels));
      negativeDelay.dataPoint(count(labels, m.negativeDelays.sum()));
      for (ManagerMetrics.AdminOperation op : OPERATIONS) {
        admin.dataPoint(
            count(labels.add(LABEL_OPERATION, op.label()), m.adminOperations[op.ordinal()].sum()));
      }
    }

    MetricSnapshots build() {
      return MetricSnapshots.builder()
          .metricSnapshot(active.build())
          .metricSnapshot(hwm.build())
          .metricSnapshot(retries.build())
          .metricSnapshot(creations.build())
          .metricSnapshot(cleanups.build())
          .metricSnapshot(attempts.build())
          .metricSnapshot(failures.build())
          .metricSnapshot(received.build())
          .metricSnapshot(sent.build())
          .metricSnapshot(connect.build())
          .metricSnapshot(streams.build())
          .metricSnapshot(listenerErrors.build())
          .metricSnapshot(serverWaits.build())
          .metricSnapshot(serverWaitSeconds.build())
          .metricSnapshot(rejections.build())
          .metricSnapshot(sendsRejected.build())
          .metricSnapshot(dropped.build())
          .metricSnapshot(queueDepth.build())
          .metricSnapshot(heartbeats.build())
          .metricSnapshot(heartbeatRtt.build())
          .metricSnapshot(delay.build())
          .metricSnapshot(negativeDelay.build())
          .metricSnapshot(admin.build())
          .build();
    }
  }

  private static CounterSnapshot.Builder counter(String nameWithTotal, String help) {
    return CounterSnapshot.builder()
        .name(nameWithTotal.substring(0, nameWithTotal.length() - "_total".length()))
        .help(help);
  }

  private static GaugeDataPointSnapshot gauge(Labels labels, long value) {
    return GaugeDataPointSnapshot.builder().labels(labels).value(value).build();
  }

  private static CounterDataPointSnapshot count(Labels labels, long value) {
    return CounterDataPointSnapshot.builder().labels(labels).value(value).build();
  }

  private static HistogramDataPointSnapshot histogram(ManagerMetrics m) {
    double[] bounds = new double[ManagerMetrics.CONNECT_BUCKETS.length + 1];
    long[] counts = new long[bounds.length];
    System.arraycopy(ManagerMetrics.CONNECT_BUCKETS, 0, bounds, 0, bounds.length - 1);
    bounds[bounds.length - 1] = Double.POSITIVE_INFINITY;
    for (int i = 0; i < counts.length; i++) {
      counts[i] = m.connectBuckets[i].sum();
    }
    return HistogramDataPointSnapshot.builder()
        .labels(m.labels)
        .classicHistogramBuckets(ClassicHistogramBuckets.of(bounds, counts))
        .sum(m.connectSeconds.sum())
        .build();
  }
}
