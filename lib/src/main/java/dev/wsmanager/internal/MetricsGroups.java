package dev.wsmanager.internal;

import static dev.wsmanager.metrics.MetricNames.LABEL_GROUP;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagerStats;
import dev.wsmanager.StreamState;
import dev.wsmanager.metrics.HistogramObserver;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.ArrayList;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One manager's counters, one {@link ManagerMetrics} per stream group plus one for the streams
 * without a group. A group's counters are created when its first stream opens and kept until the
 * manager closes, so its counters never go back to zero; at most {@code maxGroups} groups exist, so
 * the {@code group} label stays bounded.
 */
final class MetricsGroups {
  final Labels labels;
  final ManagerMetrics ungrouped;
  private final boolean perStream;
  private final int maxGroups;
  private final ConcurrentHashMap<String, ManagerMetrics> groups = new ConcurrentHashMap<>();
  private final AtomicLong open = new AtomicLong();
  private final AtomicLong hwm = new AtomicLong();

  /** Observers of every group's histograms (see {@code WsManager.addHistogramObserver}). */
  final List<HistogramObserver> histogramObservers = new CopyOnWriteArrayList<>();

  MetricsGroups(Labels labels, boolean perStream, int maxGroups) {
    this.labels = labels;
    this.perStream = perStream;
    this.maxGroups = maxGroups;
    this.ungrouped = new ManagerMetrics(labels, null, perStream, open, hwm, histogramObservers);
  }

  /**
   * The counters of {@code group}, created on first use.
   *
   * @throws IllegalArgumentException if the group is new and the manager has {@code maxGroups}
   */
  ManagerMetrics forGroup(String managerName, String group) {
    if (group == null) {
      return ungrouped;
    }
    ManagerMetrics existing = groups.get(group);
    if (existing != null) {
      return existing;
    }
    synchronized (groups) {
      existing = groups.get(group);
      if (existing != null) {
        return existing;
      }
      if (groups.size() >= maxGroups) {
        throw new IllegalArgumentException(
            "manager '"
                + managerName
                + "' already has "
                + groups.size()
                + " stream groups "
                + new TreeMap<>(groups).keySet()
                + "; group '"
                + group
                + "' would exceed"
                + " maxGroups("
                + maxGroups
                + "). Reuse one of them or raise"
                + " WsManager.Builder.maxGroups: each group adds a set of series");
      }
      ManagerMetrics created =
          new ManagerMetrics(
              labels.add(LABEL_GROUP, group), group, perStream, open, hwm, histogramObservers);
      groups.put(group, created);
      return created;
    }
  }

  /** The ungrouped counters first, then one per group in no particular order. */
  List<ManagerMetrics> all() {
    List<ManagerMetrics> out = new ArrayList<>(groups.size() + 1);
    out.add(ungrouped);
    out.addAll(groups.values());
    return out;
  }

  /** The manager's stats: every group added up, with the manager-wide high-water mark. */
  ManagerStats stats(boolean running) {
    ManagerStats sum = null;
    for (ManagerMetrics m : all()) {
      ManagerStats s = m.stats(running);
      sum = sum == null ? s : plus(sum, s);
    }
    return withHwm(sum, hwm.get());
  }

  /** Each group's stats by group name, sorted; empty when no stream has a group. */
  Map<String, ManagerStats> groupStats(boolean running) {
    Map<String, ManagerStats> out = new TreeMap<>();
    groups.forEach((name, m) -> out.put(name, m.stats(running)));
    return out;
  }

  Collection<ManagerMetrics> groups() {
    return groups.values();
  }

  private static ManagerStats plus(ManagerStats a, ManagerStats b) {
    Map<FailureReason, Long> failures = new EnumMap<>(a.connectionFailures());
    b.connectionFailures().forEach((r, n) -> failures.merge(r, n, Long::sum));
    Map<StreamState, Long> states = new EnumMap<>(a.streamsByState());
    b.streamsByState().forEach((s, n) -> states.merge(s, n, Long::sum));
    return new ManagerStats(
        a.running() && b.running(),
        a.activeConnections() + b.activeConnections(),
        Math.max(a.activeConnectionsHwm(), b.activeConnectionsHwm()),
        a.retries() + b.retries(),
        a.streamCreations() + b.streamCreations(),
        a.streamCleanups() + b.streamCleanups(),
        a.connectionAttempts() + b.connectionAttempts(),
        Map.copyOf(failures),
        a.messagesReceived() + b.messagesReceived(),
        a.messagesSent() + b.messagesSent(),
        a.listenerErrors() + b.listenerErrors(),
        Map.copyOf(states),
        a.heartbeatSuccesses() + b.heartbeatSuccesses(),
        a.heartbeatTimeouts() + b.heartbeatTimeouts(),
        a.negativeMessageDelays() + b.negativeMessageDelays(),
        a.adminOperations() + b.adminOperations());
  }

  private static ManagerStats withHwm(ManagerStats s, long hwm) {
    return new ManagerStats(
        s.running(),
        s.activeConnections(),
        hwm,
        s.retries(),
        s.streamCreations(),
        s.streamCleanups(),
        s.connectionAttempts(),
        s.connectionFailures(),
        s.messagesReceived(),
        s.messagesSent(),
        s.listenerErrors(),
        s.streamsByState(),
        s.heartbeatSuccesses(),
        s.heartbeatTimeouts(),
        s.negativeMessageDelays(),
        s.adminOperations());
  }
}
