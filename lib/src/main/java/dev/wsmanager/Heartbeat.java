package dev.wsmanager;

import java.time.Duration;
import java.util.Objects;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * An application-level heartbeat: a text message the stream sends every interval while open, and
 * how to recognise the server's reply. Exchange feeds ask for these ({@code ping}, {@code
 * {"op":"ping"}}) on top of WebSocket pings, which many of them do not answer or do not count.
 *
 * <pre>{@code
 * Heartbeat hb = Heartbeat.builder()
 *     .message("{\"op\":\"ping\"}")
 *     .reply(text -> text.contains("\"op\":\"pong\""))
 *     .interval(Duration.ofSeconds(20))
 *     .timeout(Duration.ofSeconds(10))
 *     .build();
 * StreamSpec spec = StreamSpec.builder("bybit", url).heartbeat(hb).build();
 * }</pre>
 *
 * <p>A reply that does not arrive within the timeout fails the connection with {@link
 * FailureReason#HEARTBEAT_TIMEOUT}, and the stream reconnects. Replies are counted as received
 * messages but are not passed to {@link StreamListener#onText} unless {@link
 * Builder#passRepliesToListener(boolean)} says so. Heartbeats sent count as messages sent.
 * Immutable.
 */
public final class Heartbeat {
  private final Supplier<String> message;
  private final Predicate<String> reply;
  private final Duration interval;
  private final Duration timeout;
  private final boolean passReplies;

  private Heartbeat(Builder b, Duration timeout) {
    this.message = b.message;
    this.reply = b.reply;
    this.interval = b.interval;
    this.timeout = timeout;
    this.passReplies = b.passReplies;
  }

  /**
   * A builder; {@link Builder#message}, {@link Builder#reply} and {@link Builder#interval} are
   * required.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * The next heartbeat message, computed afresh for each heartbeat.
   *
   * @return the message to send
   */
  public String nextMessage() {
    return message.get();
  }

  /**
   * Whether a received text message is a heartbeat reply.
   *
   * @param text a received text message
   * @return {@code true} if it answers a heartbeat
   */
  public boolean isReply(String text) {
    return reply.test(text);
  }

  /** {@return how often a heartbeat is sent while the connection is open} */
  public Duration interval() {
    return interval;
  }

  /** {@return how long a reply may take before the connection is failed} */
  public Duration timeout() {
    return timeout;
  }

  /** {@return whether replies are passed to {@link StreamListener#onText} too} */
  public boolean passRepliesToListener() {
    return passReplies;
  }

  @Override
  public String toString() {
    return "Heartbeat{interval=" + interval + ", timeout=" + timeout + '}';
  }

  /** Builds a {@link Heartbeat}; {@link #build()} checks every value. */
  public static final class Builder {
    private Supplier<String> message;
    private Predicate<String> reply;
    private Duration interval;
    private Duration timeout;
    private boolean passReplies;

    private Builder() {}

    /**
     * Sends the same text every time.
     *
     * @param text the heartbeat message, such as {@code ping} or {@code {"op":"ping"}}
     * @return this builder
     */
    public Builder message(String text) {
      Objects.requireNonNull(text, "text");
      this.message = () -> text;
      return this;
    }

    /**
     * Computes each heartbeat message, for protocols whose pings carry a timestamp or a counter. A
     * supplier that throws or returns {@code null} sends nothing that round; the reply timeout
     * still applies.
     *
     * @param supplier returns the next message
     * @return this builder
     */
    public Builder message(Supplier<String> supplier) {
      this.message = Objects.requireNonNull(supplier, "supplier");
      return this;
    }

    /**
     * Recognises replies. It runs on every text message the stream receives, on the reader thread,
     * so keep it cheap (a {@code startsWith} or {@code contains}, not a JSON parse).
     *
     * @param predicate true for a heartbeat reply
     * @return this builder
     */
    public Builder reply(Predicate<String> predicate) {
      this.reply = Objects.requireNonNull(predicate, "predicate");
      return this;
    }

    /**
     * Sets the interval.
     *
     * @param interval time between heartbeats, positive; the first is sent one interval after the
     *     connection opens
     * @return this builder
     */
    public Builder interval(Duration interval) {
      this.interval = Objects.requireNonNull(interval, "interval");
      return this;
    }

    /**
     * Sets the reply timeout.
     *
     * @param timeout how long a reply may take, positive and at most the interval. Default: the
     *     interval
     * @return this builder
     */
    public Builder timeout(Duration timeout) {
      this.timeout = Objects.requireNonNull(timeout, "timeout");
      return this;
    }

    /**
     * Sets whether replies reach the listener.
     *
     * @param pass whether {@link StreamListener#onText} receives heartbeat replies too. Default
     *     {@code false}
     * @return this builder
     */
    public Builder passRepliesToListener(boolean pass) {
      this.passReplies = pass;
      return this;
    }

    /**
     * Checks the values and builds the heartbeat.
     *
     * @return the heartbeat
     * @throws IllegalArgumentException naming the first bad or missing value
     */
    public Heartbeat build() {
      if (message == null) {
        throw new IllegalArgumentException(
            "heartbeat message is missing: call message(\"ping\") or message(supplier)");
      }
      if (reply == null) {
        throw new IllegalArgumentException(
            "heartbeat reply is missing: call reply(text -> ...) to recognise the server's answer");
      }
      if (interval == null || interval.isNegative() || interval.isZero()) {
        throw new IllegalArgumentException("heartbeat interval must be positive, was " + interval);
      }
      Duration t = timeout != null ? timeout : interval;
      if (t.isNegative() || t.isZero() || t.compareTo(interval) > 0) {
        throw new IllegalArgumentException(
            "heartbeat timeout must be positive and at most the interval ("
                + interval
                + "), was "
                + t);
      }
      return new Heartbeat(this, t);
    }
  }
}
