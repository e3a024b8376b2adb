package dev.wsmanager;

import java.util.Map;

/**
 * A manager's counters and gauges at one instant, read from the same live state the Prometheus
 * metrics are read from.
 *
 * @param running whether the manager accepts new streams (false once closing has begun)
 * @param activeConnections connections currently open
 * @param activeConnectionsHwm the most connections open at once since start
 * @param retries reconnects scheduled after a failure or disconnect
 * @param streamCreations streams opened
 * @param streamCleanups streams closed and removed
 * @param connectionAttempts connection attempts, first ones and retries
 * @param connectionFailures failures by reason, every reason present
 * @param messagesReceived messages received
 * @param messagesSent messages queued for sending
 * @param listenerErrors listener callbacks and subscribe hooks that threw
 * @param streamsByState live streams by state, every state but {@link StreamState#CLOSED} present
 * @param heartbeatSuccesses application heartbeats answered in time
 * @param heartbeatTimeouts application heartbeats not answered in time
 * @param negativeMessageDelays messages whose event time lay ahead of this host's clock
 * @param adminOperations streams reconnected or closed by {@link WsManager#reconnect}, {@link
 *     WsManager#close(String)} and {@link WsManager#closeIdle}
 */
public record ManagerStats(
    boolean running,
    long activeConnections,
    long activeConnectionsHwm,
    long retries,
    long streamCreations,
    long streamCleanups,
    long connectionAttempts,
    Map<FailureReason, Long> connectionFailures,
    long messagesReceived,
    long messagesSent,
    long listenerErrors,
    Map<StreamState, Long> streamsByState,
    long heartbeatSuccesses,
    long heartbeatTimeouts,
    long negativeMessageDelays,
    long adminOperations) {

  /**
   * The sum of {@link #connectionFailures()}.
   *
   * @return failures of every reason
   */
  public long totalConnectionFailures() {
    return connectionFailures.values().stream().mapToLong(Long::longValue).sum();
  }
}
