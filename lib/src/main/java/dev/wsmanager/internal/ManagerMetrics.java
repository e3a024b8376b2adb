package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagerStats;
import dev.wsmanager.StreamState;
import dev.wsmanager.metrics.HistogramObserver;
import dev.wsmanager.metrics.MetricNames;
import java.util.Collection;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.BooleanSupplier;
import java.util.function.Supplier;
import io.prometheus.metrics.model.snapshots.Labels;

/**
 * One manager's live counters. The Prometheus collector and {@link ManagerStats} both read these;
 * nothing is counted twice. Every update is a lock-free add that allocates nothing; messages
 * received are counted by each stream alone and added up when read.
 */
final class ManagerMetrics {
  /** Upper bounds of the connect-duration histogram, in seconds. */
  static final double[] CONNECT_BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
  };

  private static final FailureReason[] REASONS = FailureReason.values();
  private static final StreamState[] STATES = StreamState.values();

  final Labels labels;
  final boolean perStream;
  final Supplier<? extends Collection<? extends StreamCounters>> streams;

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
  final List<HistogramObserver> histogramObservers = new CopyOnWriteArrayList<>();

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

    long attempts();

    long received();

    long sent();
  }

  ManagerMetrics(
      Labels labels, boolean perStream, Supplier<? extends Collection<? extends StreamCounters>> streams) {
    this.labels = labels;
    this.perStream = perStream;
    this.streams = streams;
    for (int i = 0; i < failures.length; i++) {
      failures[i] = new LongAdder();
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

  /** A handshake was answered with {@code status}; statuses without a series of their own go by class. */
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
    }
    if (to == StreamState.CLOSED) {
      return; // closed streams are gone from the manager: counted by cleanups, not by state
    }
    long now = states.incrementAndGet(to.ordinal());
    if (to == StreamState.OPEN) {
      hwm.accumulateAndGet(now, Math::max);
    }
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
    for (HistogramObserver observer : histogramObservers) {
      observer.observe(MetricNames.CONNECT_DURATION, labels, seconds);
    }
  }

  /**
   * Messages received by the manager's streams, live and removed. Each stream counts its own (a
   * single-writer count, the cheapest possible per-message update); this adds them up.
   */
  synchronized long received() {
    long sum = receivedByRemovedStreams;
    for (StreamCounters s : streams.get()) {
      sum += s.received();
    }
    return sum;
  }

  /**
   * Runs {@code removal} and, if it removed {@code stream}, moves the stream's messages to the
   * removed streams' total in the same step, so that {@link #received()} never counts them twice
   * or not at all and the exported counter never goes down.
   */
  synchronized boolean removeStream(StreamCounters stream, BooleanSupplier removal) {
    if (!removal.getAsBoolean()) {
      return false;
    }
    receivedByRemovedStreams += stream.received();
    return true;
  }

  void sent(int messages) {
    sent.add(messages);
  }

  long state(StreamState state) {
    return states.get(state.ordinal());
  }

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
        Map.copyOf(byState));
  }
}
