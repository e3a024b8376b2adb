package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamState;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a stream tells the world as its loop decides: the state gauge, the log lines and the
 * listener's callbacks. The loop reports under its lock, so the callbacks keep the order of its
 * transitions; log lines are kept until {@link #takeLines()} and written, and the callbacks
 * delivered, by {@link #publish} once the lock is released. A callback the listener does not
 * override is not queued at all.
 */
final class StreamEvents {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.ManagedStream");
  private static final Runnable[] NO_LINES = {};

  private final ManagedStream stream;
  private final StreamListener listener;
  private final ListenerOverrides overrides;
  private final SerialCallbacks callbacks;
  private final ManagerMetrics metrics;
  private final String logId;
  private final List<Runnable> lines = new ArrayList<>(); // guarded by the loop's lock

  StreamEvents(
      ManagedStream stream,
      StreamListener listener,
      SerialCallbacks callbacks,
      ManagerMetrics metrics,
      String logId) {
    this.stream = stream;
    this.listener = listener;
    this.overrides = ListenerOverrides.of(listener);
    this.callbacks = callbacks;
    this.metrics = metrics;
    this.logId = logId;
  }

  void changed(StreamState from, StreamState to) {
    metrics.stateChanged(from, to);
    lines.add(() -> log.info("stream '{}' {} -> {}", logId, from, to));
    if (overrides.onStateChange()) {
      callbacks.emit("onStateChange", () -> listener.onStateChange(stream, from, to));
    }
  }

  void opened() {
    if (overrides.onOpen()) {
      callbacks.emit("onOpen", () -> listener.onOpen(stream));
    }
  }

  void failed(FailureReason reason, Throwable cause) {
    if (overrides.onFailure()) {
      callbacks.emit("onFailure", () -> listener.onFailure(stream, reason, cause));
    }
  }

  void gaveUp(FailureReason reason, Throwable cause) {
    if (overrides.onGaveUp()) {
      callbacks.emit("onGaveUp", () -> listener.onGaveUp(stream, reason, cause));
    }
  }

  void closed() {
    if (overrides.onClosed()) {
      callbacks.emit("onClosed", () -> listener.onClosed(stream));
    }
  }

  /** A log line, written after the lock is released. */
  void log(Runnable line) {
    lines.add(line);
  }

  /** Takes the lines kept so far; under the lock. */
  Runnable[] takeLines() {
    if (lines.isEmpty()) {
      return NO_LINES;
    }
    Runnable[] taken = lines.toArray(NO_LINES);
    lines.clear();
    return taken;
  }

  /**
   * Writes {@code taken} and starts delivering the callbacks queued; after the lock is released.
   */
  void publish(Runnable[] taken) {
    for (Runnable line : taken) {
      line.run();
    }
    callbacks.flush();
  }
}
