package dev.wsmanager.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ReconnectPolicy;
import java.io.IOException;
import java.time.Duration;
import org.junit.jupiter.api.Test;

class RetriesTest {
  private final ReconnectPolicy policy =
      ReconnectPolicy.builder()
          .initialDelay(Duration.ofSeconds(1))
          .maxDelay(Duration.ofSeconds(30))
          .multiplier(2)
          .jitter(0.5)
          .maxAttempts(3)
          .minUptime(Duration.ofSeconds(10))
          .build();
  private final Retries retries = new Retries(policy, "s", "ws://h/");

  @Test
  void eachFailureWaitsItsBackoffUntilTheAttemptsAreExhausted() {
    Retries.Wait first = retries.next(false, 0, 0.0);
    Retries.Wait second = retries.next(false, 0, 0.999);

    assertThat(first.delayMillis()).isEqualTo(policy.delayMillis(1, 0.0)).isEqualTo(1000);
    assertThat(second.delayMillis()).isEqualTo(policy.delayMillis(2, 0.999));
    assertThat(second.failures()).isEqualTo(2);
    assertThat(retries.next(false, 0, 0.0)).isNull(); // the third failure exhausts maxAttempts(3)
    assertThat(retries.retries()).isEqualTo(2);
    assertThat(retries.consecutiveFailures()).isEqualTo(3);
  }

  @Test
  void aServersRetryAfterLengthensTheWaitButNeverShortensIt() {
    Retries.Wait longer = retries.next(false, 7_000, 0.0);
    Retries.Wait shorter = retries.next(false, 10, 0.0);

    assertThat(longer.delayMillis()).isEqualTo(7_000);
    assertThat(longer.serverDirectedMillis()).isEqualTo(6_000);
    assertThat(shorter.delayMillis()).isEqualTo(2_000);
    assertThat(shorter.serverDirectedMillis()).isZero();
  }

  @Test
  void aFatalFailureGivesUpAtOnce() {
    assertThat(retries.next(true, 0, 0.0)).isNull();
    assertThat(retries.retries()).isZero();
  }

  @Test
  void onlyAConnectionThatStayedUpForTheMinimumUptimeEndsTheRunOfFailures() {
    retries.next(false, 0, 0.0);
    retries.next(false, 0, 0.0);

    retries.ended(true, 9_999);
    assertThat(retries.consecutiveFailures()).isEqualTo(2);
    retries.ended(false, 60_000); // never opened: its uptime means nothing
    assertThat(retries.consecutiveFailures()).isEqualTo(2);
    retries.ended(true, 10_000);
    assertThat(retries.consecutiveFailures()).isZero();
    assertThat(retries.next(false, 0, 0.0).delayMillis()).isEqualTo(1000);
  }

  @Test
  void theLastFailureIsRememberedForTheSnapshotAndTheGiveUpLine() {
    retries.remember(FailureReason.TLS_ERROR, new IOException("untrusted"));

    assertThat(retries.lastReason()).isEqualTo(FailureReason.TLS_ERROR);
    assertThat(retries.lastError()).isEqualTo("tls_error: java.io.IOException: untrusted");
  }
}
