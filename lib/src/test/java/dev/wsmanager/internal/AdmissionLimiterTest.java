package dev.wsmanager.internal;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class AdmissionLimiterTest {
  private static final long MS = 1_000_000L;

  @Test
  void aBurstGoesAtOnceThenAttemptsAreSpacedByTheRate() {
    AdmissionLimiter limiter = new AdmissionLimiter(100, 3); // one every 10 ms
    long t0 = 5_000 * MS;
    assertThat(limiter.reserve(t0)).isZero();
    assertThat(limiter.reserve(t0)).isZero();
    assertThat(limiter.reserve(t0)).isZero();
    assertThat(limiter.reserve(t0)).isEqualTo(10 * MS);
    assertThat(limiter.reserve(t0)).isEqualTo(20 * MS);
    // after a quiet second the burst is available again, but not more than the burst
    long t1 = t0 + 1_000 * MS;
    assertThat(limiter.reserve(t1)).isZero();
    assertThat(limiter.reserve(t1)).isZero();
    assertThat(limiter.reserve(t1)).isZero();
    assertThat(limiter.reserve(t1)).isEqualTo(10 * MS);
  }

  @Test
  void anyWindowHoldsAtMostTheBurstPlusTheRateOfItsLength() {
    AdmissionLimiter limiter = new AdmissionLimiter(100, 10);
    long t0 = 0;
    long[] starts = new long[5_000];
    for (int i = 0; i < starts.length; i++) {
      starts[i] = t0 + limiter.reserve(t0);
    }
    // starts are sorted; count the most in any 100 ms window
    int most = 0;
    int lo = 0;
    for (int hi = 0; hi < starts.length; hi++) {
      while (starts[hi] - starts[lo] >= 100 * MS) {
        lo++;
      }
      most = Math.max(most, hi - lo + 1);
    }
    assertThat(most).isLessThanOrEqualTo(10 + 10);
    assertThat(starts[starts.length - 1]).isEqualTo((5_000 - 10) * 10 * MS);
  }

  @Test
  void reservationsForTheFutureDoNotWaitWhenTheyFitTheRate() {
    AdmissionLimiter limiter = new AdmissionLimiter(10, 1); // one every 100 ms
    assertThat(limiter.reserve(0)).isZero();
    assertThat(limiter.reserve(500 * MS)).isZero();
    assertThat(limiter.reserve(550 * MS)).isEqualTo(50 * MS);
  }
}
