package dev.wsmanager;

import java.util.List;
import java.util.Map;

/**
 * A manager over JMX, registered as {@code dev.wsmanager:type=WsManager,name=<manager name>} when
 * {@link WsManager.Builder#jmx(boolean)} is on: the stats of {@link WsManager#stats()} as
 * attributes, and the admin operations. For jconsole, VisualVM, or a JMX exporter.
 */
public interface WsManagerMXBean {
  /** {@return the manager's name} */
  String getName();

  /** {@return whether the manager is running} */
  boolean isRunning();

  /** {@return connections currently open} */
  long getActiveConnections();

  /** {@return the most connections open at once since the manager started} */
  long getActiveConnectionsHwm();

  /** {@return reconnects scheduled after a failure or disconnect} */
  long getRetries();

  /** {@return streams opened} */
  long getStreamCreations();

  /** {@return streams closed and removed} */
  long getStreamCleanups();

  /** {@return connection attempts, first ones and retries} */
  long getConnectionAttempts();

  /** {@return failures by reason label, such as {@code heartbeat_timeout}} */
  Map<String, Long> getConnectionFailures();

  /** {@return messages received} */
  long getMessagesReceived();

  /** {@return messages queued for sending} */
  long getMessagesSent();

  /** {@return listener callbacks and hooks that threw} */
  long getListenerErrors();

  /** {@return live streams by state label} */
  Map<String, Long> getStreamsByState();

  /** {@return application heartbeats answered in time} */
  long getHeartbeatSuccesses();

  /** {@return application heartbeats not answered in time} */
  long getHeartbeatTimeouts();

  /** {@return messages whose event time lay ahead of this host's clock} */
  long getNegativeMessageDelays();

  /** {@return streams reconnected or closed by the admin operations} */
  long getAdminOperations();

  /** {@return the ids of the live streams, sorted} */
  List<String> getStreamIds();

  /**
   * {@link WsManager#reconnect(String)}.
   *
   * @param id a stream id
   * @return whether a live stream has that id
   */
  boolean reconnect(String id);

  /**
   * {@link WsManager#close(String)}.
   *
   * @param id a stream id
   * @return whether a live stream had that id
   */
  boolean close(String id);

  /**
   * {@link WsManager#closeIdle(java.time.Duration)}.
   *
   * @param duration an ISO-8601 duration, such as {@code PT5M}
   * @return the ids of the streams closed
   * @throws IllegalArgumentException if the duration cannot be parsed or is not positive
   */
  List<String> closeIdle(String duration);
}
