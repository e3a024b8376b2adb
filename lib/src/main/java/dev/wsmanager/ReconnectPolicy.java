package dev.wsmanager;

import io.github.resilience4j.core.IntervalFunction;
import java.time.Duration;
import java.util.function.IntPredicate;

/**
 * When and how often a stream reconnects. Immutable; build one with {@link #builder()}.
 *
 * <p>The delay before reconnect number {@code n} (1-based, counting failures since the backoff last
 * reset) is
 *
 * <pre>
 *   base(n)  = min(maxDelay, initialDelay * multiplier^(n-1))      (Resilience4j IntervalFunction)
 *   delay(n) = base(n) * (1 - jitter * u),  u uniform in [0, 1)
 * </pre>
 *
 * <p>The jitter is applied <em>after</em> the cap and only downwards, so a delay never exceeds
 * {@code maxDelay} and, unlike a clamp-after-randomise scheme, streams that have all reached the
 * cap still spread over {@code [maxDelay * (1 - jitter), maxDelay]} instead of retrying in
 * lockstep.
 *
 * <p>The backoff resets once a connection has stayed open for at least {@link #minUptime()}; a
 * connection that opens and drops at once keeps growing the delay. A handshake answered with a
 * status that {@link #isFatal(int)} accepts (401, 403 and 404 by default) fails the stream without
 * retry. {@code 429} and {@code 503} answers delay the next attempt by at least their {@code
 * Retry-After}.
 */
public final class ReconnectPolicy {
  /** The longest initial delay: 1 hour. */
  public static final Duration MAX_INITIAL_DELAY = Duration.ofHours(1);

  /** The longest delay cap and minimum uptime: 1 day. */
  public static final Duration MAX_DELAY = Duration.ofDays(1);

  private static final ReconnectPolicy DEFAULTS = builder().build();

  private final Duration initialDelay;
  private final Duration maxDelay;
  private final double multiplier;
  private final double jitter;
  private final int maxAttempts;
  private final Duration minUptime;
  private final IntPredicate fatalStatus;
  private final IntervalFunction base;

  private ReconnectPolicy(Builder b) {
    this.initialDelay = b.initialDelay;
    this.maxDelay = b.maxDelay;
    this.multiplier = b.multiplier;
    this.jitter = b.jitter;
    this.maxAttempts = b.maxAttempts;
    this.minUptime = b.minUptime;
    this.fatalStatus = b.fatalStatus;
    this.base =
        IntervalFunction.ofExponentialBackoff(
            initialDelay.toMillis(), multiplier, maxDelay.toMillis());
  }

  /**
   * The default policy: 500 ms initial delay, doubling up to 30 s, 50 % jitter, retry forever,
   * reset after 10 s of uptime, 401/403/404 fatal.
   *
   * @return the default policy
   */
  public static ReconnectPolicy defaults() {
    return DEFAULTS;
  }

  /**
   * A builder holding the defaults.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * A builder holding this policy's values.
   *
   * @return a new builder
   */
  public Builder toBuilder() {
    Builder b = new Builder();
    b.initialDelay = initialDelay;
    b.maxDelay = maxDelay;
    b.multiplier = multiplier;
    b.jitter = jitter;
    b.maxAttempts = maxAttempts;
    b.minUptime = minUptime;
    b.fatalStatus = fatalStatus;
    return b;
  }

  /**
   * The delay before reconnect number {@code failures}.
   *
   * @param failures failures since the backoff last reset, at least 1
   * @param random a uniform random number in {@code [0, 1)}
   * @return the delay in milliseconds, within {@code [base * (1 - jitter), base]}
   */
  public long delayMillis(int failures, double random) {
    if (failures < 1) {
      throw new IllegalArgumentException("failures must be at least 1, was " + failures);
    }
    long capped = base.apply(failures);
    return Math.round(capped * (1.0 - jitter * random));
  }

  /**
   * Whether a handshake answered with this HTTP status fails the stream for good.
   *
   * @param httpStatus the status code of the handshake response
   * @return {@code true} if the stream should not retry
   */
  public boolean isFatal(int httpStatus) {
    return fatalStatus.test(httpStatus);
  }

  /**
   * Whether the stream gives up after this many consecutive failures.
   *
   * @param consecutiveFailures failures since the backoff last reset
   * @return {@code true} when {@link #maxAttempts()} is set and reached
   */
  public boolean isExhausted(int consecutiveFailures) {
    return maxAttempts > 0 && consecutiveFailures >= maxAttempts;
  }

  /** {@return the delay before the first reconnect, before jitter} */
  public Duration initialDelay() {
    return initialDelay;
  }

  /** {@return the cap on the delay} */
  public Duration maxDelay() {
    return maxDelay;
  }

  /** {@return the factor the delay grows by per failure} */
  public double multiplier() {
    return multiplier;
  }

  /** {@return the fraction of the delay that is randomised, in {@code [0, 1]}} */
  public double jitter() {
    return jitter;
  }

  /** {@return consecutive failed attempts before giving up, 0 for forever} */
  public int maxAttempts() {
    return maxAttempts;
  }

  /** {@return how long a connection must stay open for the backoff to reset} */
  public Duration minUptime() {
    return minUptime;
  }

  @Override
  public String toString() {
    return "ReconnectPolicy{initialDelay="
        + initialDelay
        + ", maxDelay="
        + maxDelay
        + ", multiplier="
        + multiplier
        + ", jitter="
        + jitter
        + ", maxAttempts="
        + (maxAttempts == 0 ? "forever" : maxAttempts)
        + ", minUptime="
        + minUptime
        + '}';
  }

  /** Builds a {@link ReconnectPolicy}; {@link #build()} checks every value. */
  public static final class Builder {
    private Duration initialDelay = Duration.ofMillis(500);
    private Duration maxDelay = Duration.ofSeconds(30);
    private double multiplier = 2.0;
    private double jitter = 0.5;
    private int maxAttempts = 0;
    private Duration minUptime = Duration.ofSeconds(10);
    private IntPredicate fatalStatus = status -> status == 401 || status == 403 || status == 404;

    private Builder() {}

    /**
     * Sets the initial delay.
     *
     * @param initialDelay the delay before the first reconnect, from 1 ms to {@link
     *     #MAX_INITIAL_DELAY}
     * @return this builder
     */
    public Builder initialDelay(Duration initialDelay) {
      this.initialDelay = Check.notNull(initialDelay, "initialDelay");
      return this;
    }

    /**
     * Sets the max delay.
     *
     * @param maxDelay the cap on the delay, from {@code initialDelay} to {@link #MAX_DELAY}
     * @return this builder
     */
    public Builder maxDelay(Duration maxDelay) {
      this.maxDelay = Check.notNull(maxDelay, "maxDelay");
      return this;
    }

    /**
     * Sets the multiplier.
     *
     * @param multiplier the growth factor per failure, at least 1
     * @return this builder
     */
    public Builder multiplier(double multiplier) {
      this.multiplier = multiplier;
      return this;
    }

    /**
     * Sets the jitter.
     *
     * @param jitter the randomised fraction of each delay, in {@code [0, 1]}; 0 disables jitter
     * @return this builder
     */
    public Builder jitter(double jitter) {
      this.jitter = jitter;
      return this;
    }

    /**
     * Sets the max attempts.
     *
     * @param maxAttempts consecutive failed attempts before the stream gives up, at least 1
     * @return this builder
     */
    public Builder maxAttempts(int maxAttempts) {
      this.maxAttempts = maxAttempts;
      if (maxAttempts < 1) {
        throw new IllegalArgumentException(
            "maxAttempts must be at least 1, was " + maxAttempts + "; use retryForever() instead");
      }
      return this;
    }

    /**
     * Never give up (the default).
     *
     * @return this builder
     */
    public Builder retryForever() {
      this.maxAttempts = 0;
      return this;
    }

    /**
     * Sets the min uptime.
     *
     * @param minUptime how long a connection must stay open for the backoff to reset, from 0 to
     *     {@link #MAX_DELAY}
     * @return this builder
     */
    public Builder minUptime(Duration minUptime) {
      this.minUptime = Check.notNull(minUptime, "minUptime");
      return this;
    }

    /**
     * Which handshake HTTP statuses fail the stream without retry. The default is 401, 403 and 404.
     *
     * @param fatalStatus accepts the statuses to treat as fatal
     * @return this builder
     */
    public Builder fatalHandshakeStatus(IntPredicate fatalStatus) {
      this.fatalStatus =
          Check.notNull(fatalStatus, "fatalHandshakeStatus(fatalStatus): fatalStatus");
      return this;
    }

    /**
     * Checks the values and builds the policy.
     *
     * @return the policy
     * @throws IllegalArgumentException naming the first bad value
     */
    public ReconnectPolicy build() {
      Check.duration("initialDelay", initialDelay, Duration.ofMillis(1), MAX_INITIAL_DELAY, null);
      if (maxDelay.compareTo(initialDelay) < 0) {
        throw new IllegalArgumentException(
            "maxDelay must be at least initialDelay (" + initialDelay + "), was " + maxDelay);
      }
      Check.duration("maxDelay", maxDelay, initialDelay, MAX_DELAY, null);
      if (!(multiplier >= 1.0) || Double.isInfinite(multiplier)) {
        throw new IllegalArgumentException(
            "multiplier must be a finite number of at least 1.0, was " + multiplier);
      }
      if (!(jitter >= 0.0 && jitter <= 1.0)) {
        throw new IllegalArgumentException("jitter must be within [0, 1], was " + jitter);
      }
      Check.duration("minUptime", minUptime, Duration.ZERO, MAX_DELAY, null);
      return new ReconnectPolicy(this);
    }
  }
}
