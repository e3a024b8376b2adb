package dev.wsmanager;

import java.net.URI;
import java.time.Duration;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import java.util.function.ToLongFunction;
import java.util.regex.Pattern;
import okhttp3.Headers;

/**
 * What a stream connects to and how. Immutable; build one with {@link #builder(String, String)}.
 *
 * <pre>{@code
 * StreamSpec spec = StreamSpec.builder("btcusdt-trades", "wss://stream.example.com/ws")
 *     .subscribe("{\"op\":\"subscribe\",\"args\":[\"trades.BTCUSDT\"]}")
 *     .listener(myListener)
 *     .idleTimeout(Duration.ofSeconds(30))
 *     .build();
 * }</pre>
 */
public final class StreamSpec {
  /** The default ping interval: 20 seconds. */
  public static final Duration DEFAULT_PING_INTERVAL = Duration.ofSeconds(20);

  /** The default connect timeout: 10 seconds. */
  public static final Duration DEFAULT_CONNECT_TIMEOUT = Duration.ofSeconds(10);

  /** The default limit on bytes queued for sending: 8 MiB, half of OkHttp's hard limit. */
  public static final long DEFAULT_MAX_QUEUED_BYTES = 8L * 1024 * 1024;

  /** OkHttp closes a WebSocket with 1001 when more than this is queued. */
  static final long OKHTTP_MAX_QUEUE_SIZE = 16L * 1024 * 1024;

  private static final Pattern GROUP = Pattern.compile("[A-Za-z0-9_.:-]{1,64}");

  /** The longest connect timeout: 10 minutes. */
  public static final Duration MAX_CONNECT_TIMEOUT = Duration.ofMinutes(10);

  /** The longest ping interval: 1 hour. */
  public static final Duration MAX_PING_INTERVAL = Duration.ofHours(1);

  /** The longest idle timeout: 1 day. */
  public static final Duration MAX_IDLE_TIMEOUT = Duration.ofDays(1);

  /** The largest delivery queue: 1,000,000 messages. */
  public static final int MAX_DELIVERY_QUEUE = 1_000_000;

  private final String id;
  private final String url;
  private final String redactedUrl;
  private final Headers headers;
  private final Supplier<? extends Collection<String>> subscribe;
  private final StreamListener listener;
  private final Duration pingInterval;
  private final Duration idleTimeout;
  private final Duration connectTimeout;
  private final ReconnectPolicy reconnectPolicy;
  private final long maxQueuedBytes;
  private final Heartbeat heartbeat;
  private final ToLongFunction<String> eventTime;
  private final int eventTimeSampling;
  private final String group;
  private final int deliveryQueue;
  private final QueueOverflow overflow;

  private StreamSpec(Builder b, URI uri, Headers headers) {
    this.id = b.id;
    this.url = uri.toString();
    this.redactedUrl = Urls.redact(uri);
    this.deliveryQueue = b.deliveryQueue;
    this.overflow = b.overflow;
    this.headers = headers;
    this.subscribe = b.subscribe;
    this.listener = b.listener;
    this.pingInterval = b.pingInterval;
    this.idleTimeout = b.idleTimeout;
    this.connectTimeout = b.connectTimeout;
    this.reconnectPolicy = b.reconnectPolicy;
    this.maxQueuedBytes = b.maxQueuedBytes;
    this.heartbeat = b.heartbeat;
    this.eventTime = b.eventTime;
    this.eventTimeSampling = b.eventTimeSampling;
    this.group = b.group;
  }

  /**
   * Starts a spec.
   *
   * @param id a unique id within the manager, such as {@code "binance-btcusdt"}; appears in logs,
   *     JSON and, when per-stream metrics are enabled, as a label value
   * @param url a {@code ws://} or {@code wss://} URL; may carry credentials, which are never logged
   * @return a new builder
   */
  public static Builder builder(String id, String url) {
    return new Builder(id, url);
  }

  /** {@return the stream id} */
  public String id() {
    return id;
  }

  /**
   * {@return the URL to connect to, credentials included} Parsed anew on each call: a spec keeps
   * the URL as text, which is all that connecting needs, and a manager holds one spec per stream.
   */
  public URI uri() {
    return URI.create(url);
  }

  /** {@return the URL to connect to as text, credentials included} */
  public String url() {
    return url;
  }

  /** {@return the URL with user info and query values masked, safe to log} */
  public String redactedUrl() {
    return redactedUrl;
  }

  /** {@return headers sent with every handshake} */
  public Headers headers() {
    return headers;
  }

  /**
   * The subscribe messages for a new connection, computed afresh on every (re)open.
   *
   * @return the messages, in sending order
   */
  public Collection<String> subscribeMessages() {
    Collection<String> messages = subscribe.get();
    return messages == null ? List.of() : messages;
  }

  /** {@return the listener} */
  public StreamListener listener() {
    return listener;
  }

  /**
   * The ping interval. A pong must arrive before the next ping is due, so this is also the pong
   * deadline: a connection whose peer stops answering is failed with {@link
   * FailureReason#PING_TIMEOUT} between one and two intervals after its last pong.
   *
   * @return the interval, {@link Duration#ZERO} when pings are off
   */
  public Duration pingInterval() {
    return pingInterval;
  }

  /**
   * {@return how long an open connection may go without a message, {@link Duration#ZERO} for no
   * limit}
   */
  public Duration idleTimeout() {
    return idleTimeout;
  }

  /** {@return how long a connection attempt may take, TCP, TLS and handshake together} */
  public Duration connectTimeout() {
    return connectTimeout;
  }

  /** {@return this stream's reconnect policy, or {@code null} to use the manager's} */
  public ReconnectPolicy reconnectPolicy() {
    return reconnectPolicy;
  }

  /** {@return the most bytes {@link ManagedStream#send} queues before it returns {@code false}} */
  public long maxQueuedBytes() {
    return maxQueuedBytes;
  }

  /** {@return the application heartbeat, or {@code null} when the stream sends none} */
  public Heartbeat heartbeat() {
    return heartbeat;
  }

  /**
   * The event-time extractor: epoch milliseconds of a text message's event, or a value of zero or
   * less when it has none.
   *
   * @return the extractor, or {@code null} when message delay is not measured
   */
  public ToLongFunction<String> eventTime() {
    return eventTime;
  }

  /** {@return every how many text messages the event time is read; 1 for every message} */
  public int eventTimeSampling() {
    return eventTimeSampling;
  }

  /** {@return the stream's group, the value of the {@code group} label, or {@code null}} */
  public String group() {
    return group;
  }

  /**
   * The capacity of the stream's delivery queue.
   *
   * @return messages the queue holds, 0 for direct delivery on the reader thread (the default)
   */
  public int deliveryQueueCapacity() {
    return deliveryQueue;
  }

  /** {@return what a full delivery queue does, {@code null} with direct delivery} */
  public QueueOverflow queueOverflow() {
    return overflow;
  }

  @Override
  public String toString() {
    return "StreamSpec{id="
        + id
        + ", url="
        + redactedUrl
        + (group == null ? "" : ", group=" + group)
        + '}';
  }

  /** Builds a {@link StreamSpec}; {@link #build()} checks every value. */
  public static final class Builder {
    private final String id;
    private final String url;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private Supplier<? extends Collection<String>> subscribe = List::of;
    private StreamListener listener = StreamListener.NONE;
    private Duration pingInterval = DEFAULT_PING_INTERVAL;
    private Duration idleTimeout = Duration.ZERO;
    private Duration connectTimeout = DEFAULT_CONNECT_TIMEOUT;
    private ReconnectPolicy reconnectPolicy;
    private long maxQueuedBytes = DEFAULT_MAX_QUEUED_BYTES;
    private Heartbeat heartbeat;
    private ToLongFunction<String> eventTime;
    private int eventTimeSampling = 1;
    private String group;
    private int deliveryQueue;
    private QueueOverflow overflow;

    private Builder(String id, String url) {
      this.id = id;
      this.url = url;
    }

    /**
     * Adds a header to every handshake request.
     *
     * @param name the header name
     * @param value the header value; never logged
     * @return this builder
     */
    public Builder header(String name, String value) {
      Check.notNull(name, "header(name, value): name");
      headers.put(name, Check.notNull(value, "header '" + name + "': value"));
      return this;
    }

    /**
     * Messages sent, in order, on every (re)open, before the stream is reported {@link
     * StreamState#OPEN}.
     *
     * @param messages the subscribe messages
     * @return this builder
     */
    public Builder subscribe(String... messages) {
      Check.notNull(messages, "subscribe(messages): messages");
      for (int i = 0; i < messages.length; i++) {
        Check.notNull(
            messages[i], "subscribe(messages): message " + (i + 1) + " of " + messages.length);
      }
      List<String> copy = List.of(messages);
      this.subscribe = () -> copy;
      return this;
    }

    /**
     * A hook run on every (re)open that returns the messages to send, for subscriptions that change
     * over time or carry fresh tokens. A hook that throws is counted as a listener error and the
     * connection stays open without its subscription.
     *
     * @param hook returns the subscribe messages, in order
     * @return this builder
     */
    public Builder subscribe(Supplier<? extends Collection<String>> hook) {
      this.subscribe = Check.notNull(hook, "subscribe(hook): hook");
      return this;
    }

    /**
     * Sets the listener.
     *
     * @param listener receives the stream's messages and events
     * @return this builder
     */
    public Builder listener(StreamListener listener) {
      this.listener = Check.notNull(listener, "listener(listener): listener");
      return this;
    }

    /**
     * Sets the ping interval.
     *
     * @param pingInterval how often to ping; also the pong deadline. {@link Duration#ZERO} turns
     *     pings off; otherwise from 1 ms to {@link #MAX_PING_INTERVAL}, in whole milliseconds.
     * @return this builder
     */
    public Builder pingInterval(Duration pingInterval) {
      this.pingInterval = Check.notNull(pingInterval, "pingInterval");
      return this;
    }

    /**
     * Sets the idle timeout.
     *
     * @param idleTimeout fail the connection when no message arrives for this long; {@link
     *     Duration#ZERO} (the default) turns idle detection off. A stream receiving thousands of
     *     messages a second that falls silent is failed within one to two timeouts (it does not
     *     read the clock for every message), any other within one. Otherwise from 1 ms to {@link
     *     #MAX_IDLE_TIMEOUT}, in whole milliseconds. A connection whose listener is still inside a
     *     message callback when the timeout passes is failed as {@link
     *     FailureReason#LISTENER_STALLED}.
     * @return this builder
     */
    public Builder idleTimeout(Duration idleTimeout) {
      this.idleTimeout = Check.notNull(idleTimeout, "idleTimeout");
      return this;
    }

    /**
     * Sets the connect timeout.
     *
     * @param connectTimeout the most a connection attempt may take (TCP, TLS and handshake), from 1
     *     ms to {@link #MAX_CONNECT_TIMEOUT}, in whole milliseconds
     * @return this builder
     */
    public Builder connectTimeout(Duration connectTimeout) {
      this.connectTimeout = Check.notNull(connectTimeout, "connectTimeout");
      return this;
    }

    /**
     * Sets the reconnect policy.
     *
     * @param reconnectPolicy overrides the manager's default policy for this stream
     * @return this builder
     */
    public Builder reconnectPolicy(ReconnectPolicy reconnectPolicy) {
      this.reconnectPolicy = Check.notNull(reconnectPolicy, "reconnectPolicy");
      return this;
    }

    /**
     * Sets the max queued bytes.
     *
     * @param maxQueuedBytes the most bytes {@code send} may leave queued, from 1 up to OkHttp's 16
     *     MiB limit (OkHttp closes the connection with 1001 past it)
     * @return this builder
     */
    public Builder maxQueuedBytes(long maxQueuedBytes) {
      this.maxQueuedBytes = maxQueuedBytes;
      return this;
    }

    /**
     * Sends an application-level heartbeat while the connection is open and fails the connection
     * with {@link FailureReason#HEARTBEAT_TIMEOUT} when a reply is late. Off by default.
     *
     * @param heartbeat what to send, how often, and how to recognise the reply
     * @return this builder
     */
    public Builder heartbeat(Heartbeat heartbeat) {
      this.heartbeat = Check.notNull(heartbeat, "heartbeat(heartbeat): heartbeat");
      return this;
    }

    /**
     * Measures how late messages arrive: {@code extractor} reads a text message's event time in
     * epoch milliseconds (or returns zero or less when it has none), and the manager records now
     * minus that time in {@code ws_manager_message_delay_seconds}. Messages stamped in the future
     * (clock skew between the server and this host) are counted in {@code
     * ws_manager_message_delay_negative_total} instead. It runs on the reader thread; {@link
     * EventTime#jsonField} is a cheap ready-made one. Off by default.
     *
     * @param extractor returns epoch milliseconds, or zero or less for none
     * @return this builder
     */
    public Builder eventTime(ToLongFunction<String> extractor) {
      this.eventTime = Check.notNull(extractor, "eventTime(extractor): extractor");
      return this;
    }

    /**
     * Reads the event time of one text message in {@code everyNth} only, for streams so busy that
     * even a cheap extractor and a clock read per message matter. Default 1: every message.
     *
     * @param everyNth from 1 to 1,000,000
     * @return this builder
     */
    public Builder eventTimeSampling(int everyNth) {
      this.eventTimeSampling = everyNth;
      return this;
    }

    /**
     * Puts the stream in a group, such as {@code "binance"}: the manager's series then carry a
     * {@code group} label, one set per group, and the JSON view lists the group. A manager allows
     * {@link WsManager.Builder#maxGroups} distinct groups. Default: no group (no label).
     *
     * @param group 1 to 64 of letters, digits, {@code _ . : -}
     * @return this builder
     */
    public Builder group(String group) {
      this.group = Check.notNull(group, "group(group): group");
      return this;
    }

    /**
     * Hands messages to the listener from a bounded queue on the manager's callback threads instead
     * of directly on the connection's reader thread, so a slow listener never stops the connection
     * from reading (pongs included). Messages keep their order and are delivered one at a time,
     * interleaved in order with the lifecycle callbacks. The queue's depth is exported as {@code
     * ws_manager_delivery_queue_depth}, its drops as {@code ws_manager_messages_dropped_total}. Off
     * by default: direct delivery costs nothing per message.
     *
     * @param capacity the most messages queued, from 1 to {@link #MAX_DELIVERY_QUEUE}
     * @param overflow what a full queue does with the next message
     * @return this builder
     */
    public Builder queuedDelivery(int capacity, QueueOverflow overflow) {
      Check.notNull(overflow, "queuedDelivery(capacity, overflow): overflow");
      if (capacity < 1 || capacity > MAX_DELIVERY_QUEUE) {
        throw new IllegalArgumentException(
            "stream '"
                + id
                + "': queuedDelivery capacity must be from 1 to "
                + MAX_DELIVERY_QUEUE
                + ", was "
                + capacity);
      }
      this.deliveryQueue = capacity;
      this.overflow = overflow;
      return this;
    }

    /**
     * Checks the values and builds the spec.
     *
     * @return the spec
     * @throws IllegalArgumentException naming the first bad value and what is expected
     */
    public StreamSpec build() {
      if (id == null || id.isBlank()) {
        throw new IllegalArgumentException("stream id must not be blank");
      }
      if (id.length() > 200) {
        throw new IllegalArgumentException(
            "stream id must be at most 200 characters, was " + id.length());
      }
      URI uri = Urls.parse(id, url);
      String field = "stream '" + id + "': ";
      Check.duration(
          field + "connectTimeout",
          connectTimeout,
          Duration.ofMillis(1),
          MAX_CONNECT_TIMEOUT,
          null);
      Check.duration(
          field + "pingInterval", pingInterval, Duration.ofMillis(1), MAX_PING_INTERVAL, "off");
      Check.duration(
          field + "idleTimeout", idleTimeout, Duration.ofMillis(1), MAX_IDLE_TIMEOUT, "off");
      if (maxQueuedBytes < 1 || maxQueuedBytes > OKHTTP_MAX_QUEUE_SIZE) {
        throw new IllegalArgumentException(
            field
                + "maxQueuedBytes must be within [1, "
                + OKHTTP_MAX_QUEUE_SIZE
                + "], was "
                + maxQueuedBytes);
      }
      if (eventTimeSampling < 1 || eventTimeSampling > 1_000_000) {
        throw new IllegalArgumentException(
            "stream '"
                + id
                + "': eventTimeSampling must be within [1, 1000000], was "
                + eventTimeSampling);
      }
      if (group != null && !GROUP.matcher(group).matches()) {
        throw new IllegalArgumentException(
            "stream '"
                + id
                + "': group must be 1 to 64 letters, digits, '_', '.', ':' or '-',"
                + " was '"
                + Check.printable(group)
                + "'");
      }
      Headers.Builder h = new Headers.Builder();
      headers.forEach(
          (name, value) -> {
            try {
              h.add(name, value);
            } catch (IllegalArgumentException e) {
              throw new IllegalArgumentException(
                  "stream '"
                      + id
                      + "': header '"
                      + name
                      + "' has a character not allowed in HTTP"
                      + " headers; remove control and non-ASCII characters");
            }
          });
      return new StreamSpec(this, uri, h.build());
    }
  }
}
