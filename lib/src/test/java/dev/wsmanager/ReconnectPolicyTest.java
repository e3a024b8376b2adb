package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.HashSet;
import java.util.Set;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ReconnectPolicyTest {
  private final ReconnectPolicy policy =
      ReconnectPolicy.builder()
          .initialDelay(Duration.ofMillis(100))
          .maxDelay(Duration.ofSeconds(10))
          .multiplier(2)
          .jitter(0.5)
          .build();

  @Test
  void delayGrowsExponentiallyWithinItsJitterBounds() {
    SplittableRandom random = new SplittableRandom(42);
    for (int failures = 1; failures <= 7; failures++) {
      long base = 100L << (failures - 1); // 100, 200, ... 6400
      for (int i = 0; i < 1_000; i++) {
        long delay = policy.delayMillis(failures, random.nextDouble());
        assertThat(delay).as("failure %d", failures).isBetween(base / 2, base);
      }
    }
  }

  @Test
  void jitterIsKeptAtTheCapSoStreamsDoNotRetryInLockstep() {
    SplittableRandom random = new SplittableRandom(7);
    Set<Long> distinct = new HashSet<>();
    long min = Long.MAX_VALUE;
    long max = 0;
    for (int i = 0; i < 10_000; i++) {
      long delay = policy.delayMillis(30, random.nextDouble());
      distinct.add(delay);
      min = Math.min(min, delay);
      max = Math.max(max, delay);
    }
    assertThat(max).isLessThanOrEqualTo(10_000);
    assertThat(min).isGreaterThanOrEqualTo(5_000).isLessThan(5_100);
    assertThat(max).isGreaterThan(9_900);
    assertThat(distinct).hasSizeGreaterThan(3_000);
    assertThat(policy.delayMillis(30, 0.0)).isEqualTo(10_000);
    assertThat(policy.delayMillis(1_000, 0.999_999)).isEqualTo(5_000);
  }

  @Test
  void withoutJitterTheDelayIsTheCappedExponential() {
    ReconnectPolicy exact = policy.toBuilder().jitter(0).build();
    assertThat(exact.delayMillis(1, 0.7)).isEqualTo(100);
    assertThat(exact.delayMillis(4, 0.7)).isEqualTo(800);
    assertThat(exact.delayMillis(64, 0.7)).isEqualTo(10_000);
  }

  @Test
  void defaultsRetryForeverAndTreatAuthAndNotFoundAsFatal() {
    ReconnectPolicy d = ReconnectPolicy.defaults();
    assertThat(d.maxAttempts()).isZero();
    assertThat(d.isExhausted(1_000_000)).isFalse();
    assertThat(d.isFatal(401)).isTrue();
    assertThat(d.isFatal(403)).isTrue();
    assertThat(d.isFatal(404)).isTrue();
    assertThat(d.isFatal(429)).isFalse();
    assertThat(d.isFatal(503)).isFalse();
    assertThat(d.jitter()).isEqualTo(0.5);
  }

  @Test
  void maxAttemptsCountsConsecutiveFailures() {
    ReconnectPolicy three = policy.toBuilder().maxAttempts(3).build();
    assertThat(three.isExhausted(2)).isFalse();
    assertThat(three.isExhausted(3)).isTrue();
  }

  @Test
  void badValuesAreRejectedWithTheFieldAndValue() {
    assertThatThrownBy(() -> ReconnectPolicy.builder().initialDelay(Duration.ZERO).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initialDelay must be from 1ms to 1h, was PT0S");
    assertThatThrownBy(
            () ->
                ReconnectPolicy.builder()
                    .initialDelay(Duration.ofSeconds(5))
                    .maxDelay(Duration.ofSeconds(1))
                    .build())
        .hasMessage("maxDelay must be at least initialDelay (PT5S), was PT1S");
    assertThatThrownBy(() -> ReconnectPolicy.builder().multiplier(0.5).build())
        .hasMessage("multiplier must be a finite number of at least 1.0, was 0.5");
    assertThatThrownBy(() -> ReconnectPolicy.builder().jitter(1.5).build())
        .hasMessage("jitter must be within [0, 1], was 1.5");
    assertThatThrownBy(() -> ReconnectPolicy.builder().jitter(Double.NaN).build())
        .hasMessage("jitter must be within [0, 1], was NaN");
    assertThatThrownBy(() -> ReconnectPolicy.builder().maxAttempts(0))
        .hasMessage("maxAttempts must be at least 1, was 0; use retryForever() instead");
    assertThatThrownBy(() -> ReconnectPolicy.builder().minUptime(Duration.ofSeconds(-1)).build())
        .hasMessage("minUptime must be from 0ms to 1d, was PT-1S");
    assertThatThrownBy(() -> policy.delayMillis(0, 0.5))
        .hasMessage("failures must be at least 1, was 0");
  }
}
