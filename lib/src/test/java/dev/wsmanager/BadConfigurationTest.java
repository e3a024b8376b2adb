package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.time.temporal.ChronoUnit;
import org.junit.jupiter.api.Test;

/**
 * Bad configuration is refused by build(), with a message naming the field (and the stream), the
 * value and what is allowed; nothing bad gets as far as open() or close().
 */
class BadConfigurationTest {
  private static final Duration FOREVER = ChronoUnit.FOREVER.getDuration();

  @Test
  void everyManagerDurationHasAnUpperBoundCheckedAtBuild() {
    assertThatThrownBy(() -> WsManager.builder().closeTimeout(FOREVER).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("closeTimeout must be from 0ms to 1h, was " + FOREVER);
    assertThatThrownBy(() -> WsManager.builder().failedStreamRetention(FOREVER).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("failedStreamRetention must be from 0ms to 7d, was " + FOREVER);
    assertThatThrownBy(() -> WsManager.builder().closeTimeout(Duration.ofMillis(-1)).build())
        .hasMessage("closeTimeout must be from 0ms to 1h, was PT-0.001S");
  }

  @Test
  void everyStreamDurationHasAnUpperBoundNamingTheStream() {
    assertThatThrownBy(() -> spec().pingInterval(Duration.ofDays(30)).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("stream 'feed': pingInterval must be 0 (off) or from 1ms to 1h, was PT720H");
    assertThatThrownBy(() -> spec().connectTimeout(Duration.ofDays(30)).build())
        .hasMessage("stream 'feed': connectTimeout must be from 1ms to 10min, was PT720H");
    assertThatThrownBy(() -> spec().idleTimeout(FOREVER).build())
        .hasMessage("stream 'feed': idleTimeout must be 0 (off) or from 1ms to 1d, was " + FOREVER);
  }

  @Test
  void reconnectPolicyDurationsNameTheirField() {
    assertThatThrownBy(() -> ReconnectPolicy.builder().initialDelay(FOREVER).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("initialDelay must be from 1ms to 1h, was " + FOREVER);
    assertThatThrownBy(() -> ReconnectPolicy.builder().maxDelay(FOREVER).build())
        .hasMessage("maxDelay must be from 500ms to 1d, was " + FOREVER);
    assertThatThrownBy(() -> ReconnectPolicy.builder().minUptime(FOREVER).build())
        .hasMessage("minUptime must be from 0ms to 1d, was " + FOREVER);
  }

  @Test
  void subMillisecondDurationsAreRejectedNotSilentlyTurnedOff() {
    Duration halfMilli = Duration.ofNanos(500_000);
    assertThatThrownBy(() -> spec().pingInterval(halfMilli).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "stream 'feed': pingInterval must be 0 (off) or from 1ms to 1h, was PT0.0005S;"
                + " durations count in whole milliseconds");
    assertThatThrownBy(() -> spec().idleTimeout(halfMilli).build())
        .hasMessage(
            "stream 'feed': idleTimeout must be 0 (off) or from 1ms to 1d, was PT0.0005S;"
                + " durations count in whole milliseconds");
    assertThatThrownBy(() -> WsManager.builder().closeTimeout(halfMilli).build())
        .hasMessageEndingWith("durations count in whole milliseconds");
    // one millisecond and more are fine; zero still means off
    assertThat(spec().pingInterval(Duration.ofMillis(1)).build().pingInterval()).hasMillis(1);
    assertThat(spec().idleTimeout(Duration.ZERO).build().idleTimeout()).isZero();
  }

  @Test
  void urlsFollowOkHttpsRulesAndNameTheStream() {
    // OkHttp connects to hosts with underscores (common in container networks)
    StreamSpec underscore = StreamSpec.builder("a", "ws://market_feed:8080/ws").build();
    assertThat(underscore.redactedUrl()).isEqualTo("ws://market_feed:8080/ws");
    assertThatThrownBy(() -> StreamSpec.builder("a", "ws://127.0.0.1:99999/").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "stream 'a': url ws://127.0.0.1:99999/ is not valid: Invalid URL port: \"99999\";"
                + " expected ws://host[:port]/path or wss://host[:port]/path");
  }

  @Test
  void nullArgumentsSayWhichArgument() {
    assertThatThrownBy(() -> spec().subscribe("a", null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("subscribe(messages): message 2 of 2 must not be null");
    assertThatThrownBy(() -> spec().header("X-Key", null))
        .hasMessage("header 'X-Key': value must not be null");
    assertThatThrownBy(() -> WsManager.builder().registry(null))
        .hasMessage("registry(registry): registry must not be null");
    try (WsManager manager =
        WsManager.builder().name("nulls").registry(new PrometheusRegistry()).build()) {
      ManagedStream s = manager.open(StreamSpec.builder("s", "ws://127.0.0.1:1/").build());
      assertThatThrownBy(() -> s.send((String) null))
          .isInstanceOf(NullPointerException.class)
          .hasMessage("send(text): text must not be null");
      assertThatThrownBy(() -> manager.open(null)).hasMessage("open(spec): spec must not be null");
    }
  }

  private static StreamSpec.Builder spec() {
    return StreamSpec.builder("feed", "ws://127.0.0.1:1/ws");
  }
}
