package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.CapturedLog;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.List;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** {@code grep "WSManager.*retry" app.log} finds one line per retry, and the give-up. */
class RetryLogTest {
  private static final Pattern GREP = Pattern.compile("WSManager.*retry");

  @Test
  void everyRetryAndTheGiveUpIsOneGreppableLineWithoutSecrets() {
    FakeTime time = new FakeTime();
    List<String> lines;
    long retries;
    try (WsPeer peer = new WsPeer();
        CapturedLog log = new CapturedLog();
        WsManager manager =
            WsManager.builder()
                .name("grep")
                .registry(new PrometheusRegistry())
                .clock(time)
                .scheduler(time)
                .random(() -> 0.0)
                .reconnectPolicy(
                    ReconnectPolicy.builder()
                        .initialDelay(Duration.ofSeconds(1))
                        .maxAttempts(4)
                        .build())
                .build()) {
      ManagedStream s =
          manager.open(
              StreamSpec.builder("slammed", peer.url("/slam?apikey=s3cr3t"))
                  .pingInterval(Duration.ZERO)
                  .build());
      for (int i = 1; i <= 3; i++) {
        int done = i;
        Await.until("failure " + i, () -> manager.stats().retries() == done);
        // exactly the backoff: a longer step could also reach the next attempt's connect timer
        time.advance(Duration.ofMillis(1000L << (i - 1)));
      }
      Await.until("gave up", () -> s.state() == StreamState.FAILED);
      Await.until("logged", () -> log.text().contains("gave up"));
      retries = manager.stats().retries();
      lines = log.lines().stream().filter(l -> GREP.matcher(l).find()).toList();
    }
    assertThat(retries).isEqualTo(3);
    assertThat(lines).hasSize(4);
    assertThat(lines.get(0))
        .contains(
            "WSManager retry: stream 'slammed' attempt 2 in 1000 ms, reason closed_by_server"
                + " (1 consecutive), url ws://127.0.0.1:")
        .contains("apikey=***")
        .endsWith(": java.io.IOException: server closed the connection with 1011 (internal error)");
    assertThat(lines.get(1))
        .contains("attempt 3 in 2000 ms, reason closed_by_server (2 consecutive)");
    assertThat(lines.get(2)).contains("attempt 4 in 4000 ms");
    assertThat(lines.get(3))
        .contains("WSManager retry attempts exhausted: stream 'slammed'")
        .contains("gave up after 4 consecutive failures, reason closed_by_server");
    assertThat(String.join("\n", lines)).doesNotContain("s3cr3t");
  }
}
