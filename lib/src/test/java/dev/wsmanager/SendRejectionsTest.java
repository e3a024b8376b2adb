package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.CapturedLog;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.Scrape;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import mockwebserver3.MockResponse;
import okio.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Nothing fails silently: refused sends and server-directed waits are counted by why. */
class SendRejectionsTest {
  private final FakeTime time = new FakeTime();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsPeer peer = new WsPeer();
  private final WsManager manager =
      WsManager.builder()
          .name("rejections")
          .registry(registry)
          .clock(time)
          .scheduler(time)
          .random(() -> 0.0)
          .reconnectPolicy(ReconnectPolicy.builder().initialDelay(Duration.ofSeconds(1)).build())
          .build();

  @AfterEach
  void tearDown() {
    manager.close(Duration.ofSeconds(1));
    peer.close();
  }

  private double rejected(String reason) {
    return Scrape.value(registry, "ws_manager_sends_rejected_total", "reason=\"" + reason + "\"");
  }

  @Test
  void refusedSendsAreCountedByReasonAndAMessageThatCanNeverFitIsLogged() {
    ManagedStream s =
        manager.open(StreamSpec.builder("s", peer.url()).maxQueuedBytes(1_000).build());
    assertThat(s.send("early")).isFalse();
    assertThat(rejected("not_open")).isEqualTo(1);
    Await.until("open", () -> s.state() == StreamState.OPEN);
    try (CapturedLog log = new CapturedLog()) {
      assertThat(s.send("x".repeat(1_001))).isFalse();
      assertThat(s.send(ByteString.of(new byte[2_000]))).isFalse();
      assertThat(log.text())
          .contains(
              "stream 's': send rejected: the message is larger than"
                  + " maxQueuedBytes (1000 bytes) and can never be queued");
    }
    assertThat(rejected("too_large")).isEqualTo(2);
    assertThat(rejected("queue_full")).isZero();
    assertThat(s.send("fits")).isTrue();
    assertThat(rejected("not_open")).isEqualTo(1);
  }

  @Test
  void aHugeRetryAfterWaitsTheCapAndRateLimitsAreToldFromOverloads() {
    peer.enqueue(
        new MockResponse.Builder().code(429).addHeader("Retry-After", "9999999999999999").build());
    ManagedStream s = manager.open(StreamSpec.builder("s", peer.url()).build());
    Await.until("backing off", () -> s.state() == StreamState.BACKING_OFF);
    assertThat(time.pendingDelays()).containsExactly(Duration.ofHours(1));
    assertThat(Scrape.value(registry, "ws_manager_handshake_rejections_total", "status=\"429\""))
        .isEqualTo(1);
    assertThat(Scrape.value(registry, "ws_manager_handshake_rejections_total", "status=\"503\""))
        .isZero();
    assertThat(Scrape.value(registry, "ws_manager_server_directed_waits_total", "")).isEqualTo(1);
    assertThat(Scrape.value(registry, "ws_manager_server_directed_wait_seconds_total", ""))
        .isEqualTo(3_600 - 1);
    peer.enqueue(new MockResponse.Builder().code(503).build());
    time.advance(Duration.ofHours(1));
    Await.until(
        "second failure",
        () -> s.snapshot().attempts() == 2 && s.state() == StreamState.BACKING_OFF);
    assertThat(Scrape.value(registry, "ws_manager_handshake_rejections_total", "status=\"503\""))
        .isEqualTo(1);
    assertThat(Scrape.value(registry, "ws_manager_server_directed_waits_total", ""))
        .as("a 503 without Retry-After waits its backoff")
        .isEqualTo(1);
    assertThat(Scrape.value(registry, "ws_manager_retry_count_total", "")).isEqualTo(2);
  }
}
