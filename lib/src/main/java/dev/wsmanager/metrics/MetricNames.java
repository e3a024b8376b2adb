package dev.wsmanager.metrics;

/**
 * The names of the metrics a manager exports. They are a contract: dashboards, alert rules and
 * scripts refer to them. Counter names are given as exposed, with {@code _total}.
 *
 * <p>Every series carries the label {@value #LABEL_MANAGER} and the manager's constant labels.
 */
public final class MetricNames {
  private MetricNames() {}

  /** Gauge: connections currently open. */
  public static final String ACTIVE_CONNECTIONS = "ws_manager_active_connections";

  /** Gauge: the most connections open at once since the manager started. */
  public static final String ACTIVE_CONNECTIONS_HWM = "ws_manager_active_connections_hwm";

  /** Counter: reconnects scheduled after a failure or disconnect. */
  public static final String RETRY_COUNT = "ws_manager_retry_count_total";

  /**
   * Counter: reconnects that waited longer than their backoff because the server's {@code
   * Retry-After} (on a 429 or 503 answer) asked for more. {@link #RETRY_COUNT} minus this is the
   * reconnects timed by the backoff alone.
   */
  public static final String SERVER_DIRECTED_WAITS = "ws_manager_server_directed_waits_total";

  /** Counter: seconds that {@code Retry-After} added to reconnect delays beyond their backoff. */
  public static final String SERVER_DIRECTED_WAIT_SECONDS =
      "ws_manager_server_directed_wait_seconds_total";

  /** Counter: streams opened. */
  public static final String STREAM_CREATIONS = "ws_manager_stream_creations_total";

  /** Counter: streams closed and removed. Live streams = creations - cleanups. */
  public static final String STREAM_CLEANUPS = "ws_manager_stream_cleanups_total";

  /** Counter: connection attempts, first ones and retries. */
  public static final String CONNECTION_ATTEMPTS = "ws_manager_connection_attempts_total";

  /**
   * Counter with label {@value #LABEL_REASON}: failed attempts and abnormally ended connections.
   */
  public static final String CONNECTION_FAILURES = "ws_manager_connection_failures_total";

  /**
   * Counter with label {@value #LABEL_STATUS}: handshakes answered with an HTTP status instead of
   * 101, so that a rate limit (429) can be told from an overload (503) or a bad credential (401).
   */
  public static final String HANDSHAKE_REJECTIONS = "ws_manager_handshake_rejections_total";

  /** Counter: messages received. */
  public static final String MESSAGES_RECEIVED = "ws_manager_messages_received_total";

  /** Counter: messages queued for sending. */
  public static final String MESSAGES_SENT = "ws_manager_messages_sent_total";

  /**
   * Counter with label {@value #LABEL_REASON} ({@code not_open}, {@code queue_full}, {@code
   * too_large}): {@code send()} calls that returned {@code false}.
   */
  public static final String SENDS_REJECTED = "ws_manager_sends_rejected_total";

  /** Histogram: time from the start of an attempt to the completed handshake. */
  public static final String CONNECT_DURATION = "ws_manager_connect_duration_seconds";

  /** Gauge with label {@value #LABEL_STATE}: live streams by state. */
  public static final String STREAMS = "ws_manager_streams";

  /** Counter: listener callbacks and subscribe hooks that threw. */
  public static final String LISTENER_ERRORS = "ws_manager_listener_errors_total";

  /** Gauge: messages waiting in the delivery queues of streams with queued delivery. */
  public static final String DELIVERY_QUEUE_DEPTH = "ws_manager_delivery_queue_depth";

  /** Counter: messages a full delivery queue dropped (streams with queued delivery). */
  public static final String MESSAGES_DROPPED = "ws_manager_messages_dropped_total";

  /**
   * Counter with label {@value #LABEL_RESULT} ({@code success} or {@code timeout}): application
   * heartbeats answered in time and not.
   */
  public static final String HEARTBEATS = "ws_manager_heartbeats_total";

  /** Histogram: time from sending an application heartbeat to its reply. */
  public static final String HEARTBEAT_RTT = "ws_manager_heartbeat_rtt_seconds";

  /** Histogram: now minus a message's event time, for streams with an event-time extractor. */
  public static final String MESSAGE_DELAY = "ws_manager_message_delay_seconds";

  /**
   * Counter: messages whose event time lay ahead of this host's clock (clock skew); they are not in
   * {@link #MESSAGE_DELAY}.
   */
  public static final String MESSAGE_DELAY_NEGATIVE = "ws_manager_message_delay_negative_total";

  /**
   * Counter with label {@value #LABEL_OPERATION} ({@code reconnect}, {@code close}, {@code
   * close_idle}): streams an operator reconnected or closed through the manager's admin operations
   * (API, JMX or HTTP).
   */
  public static final String ADMIN_OPERATIONS = "ws_manager_admin_operations_total";

  /** Label on every series: the manager's name. */
  public static final String LABEL_MANAGER = "manager";

  /**
   * Label of {@link #CONNECTION_FAILURES} (a {@code FailureReason} label value) and of {@link
   * #SENDS_REJECTED}.
   */
  public static final String LABEL_REASON = "reason";

  /** Label of {@link #STREAMS}: a {@code StreamState} label value. */
  public static final String LABEL_STATE = "state";

  /**
   * Label of {@link #HANDSHAKE_REJECTIONS}: {@code 401}, {@code 403}, {@code 404}, {@code 429},
   * {@code 503}, or the class of any other status ({@code 2xx}, {@code 3xx}, {@code 4xx}, {@code
   * 5xx}).
   */
  public static final String LABEL_STATUS = "status";

  /** Label added to per-stream series when per-stream metrics are enabled: the stream id. */
  public static final String LABEL_STREAM = "stream";

  /**
   * Label on every per-manager series of streams put in a group ({@code StreamSpec.group}); absent
   * for streams without one.
   */
  public static final String LABEL_GROUP = "group";

  /** Label of {@link #HEARTBEATS}: {@code success} or {@code timeout}. */
  public static final String LABEL_RESULT = "result";

  /** Label of {@link #ADMIN_OPERATIONS}: {@code reconnect}, {@code close} or {@code close_idle}. */
  public static final String LABEL_OPERATION = "operation";
}
