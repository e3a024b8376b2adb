package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagerStats;
import dev.wsmanager.StreamState;
import dev.wsmanager.metrics.HistogramObserver;
import dev.wsmanager.metrics.MetricNames;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;

/**
 * The live counters of one manager's streams of one group (streams without a group form one too;
 * see {@link MetricsGroups}). The Prometheus collector and {@link ManagerStats} both read these;
 * nothing is counted twice. Every update is a lock-free add that allocates nothing; messages
 * received are counted by each stream alone and added up when read.
 */
final class ManagerMetrics {
  /** Upper bounds of the connect-duration histogram, in seconds. */
  static final double[] CONNECT_BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
  };

  /** Upper bounds of the heartbeat round-trip histogram, in seconds. */
  static final double[] RTT_BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
  };

  /** Upper bounds of the message delay histogram, in seconds. */
  static final double[] DELAY_BUCKETS = {
    0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60
  };

  private static final FailureReason[] REASONS = FailureReason.values();
  private static final StreamState[] STATES = StreamState.values();

  final Labels labels;

  /** The group's name, or {@code null} for the streams without a group. */
  final String group;

  final boolean perStream;

  /** The group's live streams. */
  final Set<StreamCounters> streams = ConcurrentHashMap.newKeySet();

  /** Open connections and their high-water mark across every group of the manager. */
  private final AtomicLong managerOpen;

  private final AtomicLong managerHwm;

  final LongAdder retries = new LongAdder();
  final LongAdder creations = new LongAdder();
  final LongAdder cleanups = new LongAdder();
  final LongAdder attempts = new LongAdder();
  private long receivedByRemovedStreams; // guarded by this
  final LongAdder sent = new LongAdder();
  final LongAdder listenerErrors = new LongAdder();
  final LongAdder serverDirectedWaits = new LongAdder();
  final LongAdder serverDirectedWaitMillis = new LongAdder();
  final LongAdder[] sendsRejected = new LongAdder[SendRejection.values().length];
  final LongAdder[] handshakeRejections = new LongAdder[HANDSHAKE_STATUSES.length];
  final LongAdder messagesDropped = new LongAdder();
  final AtomicLong deliveryQueueDepth = new AtomicLong();
  final LongAdder[] failures = new LongAdder[REASONS.length];
  final AtomicLongArray states = new AtomicLongArray(STATES.length);
  final AtomicLong hwm = new AtomicLong();
  final LongAdder[] connectBuckets = new LongAdder[CONNECT_BUCKETS.length + 1];
  final DoubleAdder connectSeconds = new DoubleAdder();

  /** The manager's histogram observers, shared by its groups. */
  final List<HistogramObserver> histogramObservers;

  final LongAdder heartbeatSuccesses = new LongAdder();
  final LongAdder heartbeatTimeouts = new LongAdder();
  final HistogramCounts heartbeatRtt = new HistogramCounts(RTT_BUCKETS);
  final HistogramCounts messageDelay = new HistogramCounts(DELAY_BUCKETS);
  final LongAdder negativeDelays = new LongAdder();
  final LongAdder[] adminOperations = new LongAdder[AdminOperation.values().length];

  /** What an operator can do to streams; the {@code operation} label values. */
  enum AdminOperation {
    RECONNECT,
    CLOSE,
    CLOSE_IDLE;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Why {@code send()} returned false; the {@code reason} label of the rejected sends. */
  enum SendRejection {
    NOT_OPEN,
    QUEUE_FULL,
    TOO_LARGE;

    String label() {
      return name().toLowerCase(java.util.Locale.ROOT);
    }
  }

  /** Values of the {@code status} label of handshake rejections. */
  static final String[] HANDSHAKE_STATUSES = {
    "401", "403", "404", "429", "503", "2xx", "3xx", "4xx", "5xx"
  };

  /** Per-stream values the collector exports when per-stream metrics are on. */
  interface StreamCounters {
    String id();

    /**
     * {@code base} plus this stream's {@code stream} label, for per-stream series; built once per
     * stream (a scrape of 10,000 streams spent most of its time building label sets).
     */
    Labels labels(Labels base);

    long attempts();

    long received();

    long sent();
  }

  ManagerMetrics(
      Labels labels,
      String group,
      boolean perStream,
      AtomicLong managerOpen,
      AtomicLong managerHwm,
      List<HistogramObserver> histogramObservers) {
    this.labels = labels;
    this.histogramObservers = histogramObservers;
    this.group = group;
    this.perStream = perStream;
    this.managerOpen = managerOpen;
    this.managerHwm = managerHwm;
    for (int i = 0; i < failures.length; i++) {
      failures[i] = new LongAdder();
    }
    for (int i = 0; i < adminOperations.length; i++) {
      adminOperations[i] = new LongAdder();
    }
    for (int i = 0; i < connectBuckets.length; i++) {
      connectBuckets[i] = new LongAdder();
    }
    for (int i = 0; i < sendsRejected.length; i++) {
      sendsRejected[i] = new LongAdder();
    }
    for (int i = 0; i < handshakeRejections.length; i++) {
      handshakeRejections[i] = new LongAdder();
    }
  }

  void sendRejected(SendRejection why) {
    sendsRejected[why.ordinal()].increment();
  }

  /**
   * A handshake was answered with {@code status}; statuses without a series of their own go by
   * class.
   */
  void handshakeRejected(int status) {
    String label = String.valueOf(status);
    for (int i = 0; i < 5; i++) {
      if (HANDSHAKE_STATUSES[i].equals(label)) {
        handshakeRejections[i].increment();
        return;
      }
    }
    int cls = Math.max(2, Math.min(5, status / 100));
    handshakeRejections[5 + cls - 2].increment();
  }

  /** A reconnect was scheduled; {@code extraMillis} beyond its backoff as the server asked. */
  void retried(long extraMillis) {
    retries.increment();
    if (extraMillis > 0) {
      serverDirectedWaits.increment();
      serverDirectedWaitMillis.add(extraMillis);
    }
  }

  void stateChanged(StreamState from, StreamState to) {
    if (from != null) {
      states.decrementAndGet(from.ordinal());
      if (from == StreamState.OPEN) {
        managerOpen.decrementAndGet();
      }
    }
    if (to == StreamState.CLOSED) {
      return; // closed streams are gone from the manager: counted by cleanups, not by state
    }
    long now = states.incrementAndGet(to.ordinal());
    if (to == StreamState.OPEN) {
      hwm.accumulateAndGet(now, Math::max);
      managerHwm.accumulateAndGet(managerOpen.incrementAndGet(), Math::max);
    }
  }

  void heartbeatAnswered(double rttSeconds) {
    heartbeatSuccesses.increment();
    heartbeatRtt.record(rttSeconds);
    observed(MetricNames.HEARTBEAT_RTT, rttSeconds);
  }

  void heartbeatTimedOut() {
    heartbeatTimeouts.increment();
  }

  /** Records one message's delay; a negative one (clock skew) is counted apart. */
  void messageDelay(long delayMillis) {
    if (delayMillis < 0) {
      negativeDelays.increment();
    } else {
      messageDelay.record(delayMillis / 1000.0);
      observed(MetricNames.MESSAGE_DELAY, delayMillis / 1000.0);
    }
  }

  /** Passes a recorded histogram value to the manager's observers (bridges such as Micrometer). */
  private void observed(String histogram, double value) {
    for (HistogramObserver observer : histogramObservers) {
      observer.observe(histogram, labels, value);
    }
  }

  void adminOperation(AdminOperation operation, long streams) {
    adminOperations[operation.ordinal()].add(streams);
  }

  void failed(FailureReason reason) {
    failures[reason.ordinal()].increment();
  }

  void connected(double seconds) {
    int i = 0;
    while (i < CONNECT_BUCKETS.length && seconds > CONNECT_BUCKETS[i]) {
      i++;
    }
    connectBuckets[i].increment();
    connectSeconds.add(seconds);
    observed(MetricNames.CONNECT_DURATION, seconds);
  }

  /**
   * Messages received by the manager's streams, live and removed. Each stream counts its own (a
   * single-writer count, the cheapest possible per-message update); this adds them up.
   */
  synchronized long received() {
    long sum = receivedByRemovedStreams;
    for (StreamCounters s : streams) {
      sum += s.received();
    }
    return sum;
  }

  /**
   * Runs {@code removal} and, if it removed {@code stream}, moves the stream's messages to the
   * removed streams' total in the same step, so that {@link #received()} never counts them twice or
   * not at all and the exported counter never goes down.
   */
  synchronized boolean removeStream(StreamCounters stream, BooleanSupplier removal) {
    if (!removal.getAsBoolean()) {
      return false;
    }
    streams.remove(stream);
    receivedByRemovedStreams += stream.received();
    return true;
  }

  void sent(int messages) {
    sent.add(messages);
  }

  long state(StreamState state) {
    return states.get(state.ordinal());
  }

  long managerHwm() {
    return managerHwm.get();
  }

  long adminOperations() {
    long n = 0;
    for (LongAdder a : adminOperations) {
      n += a.sum();
    }
    return n;
  }

  /** This group's stats; the high-water mark is the group's own. */
  ManagerStats stats(boolean running) {
    Map<FailureReason, Long> byReason = new EnumMap<>(FailureReason.class);
    for (FailureReason r : REASONS) {
      byReason.put(r, failures[r.ordinal()].sum());
    }
    Map<StreamState, Long> byState = new EnumMap<>(StreamState.class);
    for (StreamState s : STATES) {
      if (s != StreamState.CLOSED) {
        byState.put(s, states.get(s.ordinal()));
      }
    }
    return new ManagerStats(
        running,
        state(StreamState.OPEN),
        hwm.get(),
        retries.sum(),
        creations.sum(),
        cleanups.sum(),
        attempts.sum(),
        Map.copyOf(byReason),
        received(),
        sent.sum(),
        listenerErrors.sum(),
        Map.copyOf(byState),
        heartbeatSuccesses.sum(),
        heartbeatTimeouts.sum(),
        negativeDelays.sum(),
        adminOperations());
  }
}
