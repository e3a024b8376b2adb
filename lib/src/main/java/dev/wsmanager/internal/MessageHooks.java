package dev.wsmanager.internal;

/**
 * What a connection does with each text message beyond counting it: the stream's application
 * heartbeat and its delay recorder, either of which may be absent. A connection of a stream with
 * neither has no hooks at all, so its per-message path is one null check.
 */
final class MessageHooks {
  private final HeartbeatMonitor heartbeat;
  private final DelayRecorder delay;

  private MessageHooks(HeartbeatMonitor heartbeat, DelayRecorder delay) {
    this.heartbeat = heartbeat;
    this.delay = delay;
  }

  /** Hooks for one connection, or {@code null} when there is nothing to do per message. */
  static MessageHooks of(HeartbeatMonitor heartbeat, DelayRecorder delay) {
    return heartbeat == null && delay == null ? null : new MessageHooks(heartbeat, delay);
  }

  /**
   * Runs the hooks on a received text message, on the reader thread.
   *
   * @return whether the message was a heartbeat reply that the listener must not see
   */
  boolean consume(String text) {
    if (heartbeat != null && heartbeat.consume(text)) {
      return true;
    }
    if (delay != null) {
      delay.record(text);
    }
    return false;
  }

  /** The connection opened. */
  void opened() {
    if (heartbeat != null) {
      heartbeat.start();
    }
  }

  /** The connection ended or is no longer current; idempotent. */
  void stop() {
    if (heartbeat != null) {
      heartbeat.stop();
    }
  }
}
