package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class StreamSpecTest {
  @Test
  void defaults() {
    StreamSpec spec = StreamSpec.builder("a", "wss://h.example/ws?key=secret").build();
    assertThat(spec.pingInterval()).isEqualTo(Duration.ofSeconds(20));
    assertThat(spec.idleTimeout()).isEqualTo(Duration.ZERO);
    assertThat(spec.connectTimeout()).isEqualTo(Duration.ofSeconds(10));
    assertThat(spec.reconnectPolicy()).isNull();
    assertThat(spec.subscribeMessages()).isEmpty();
    assertThat(spec.redactedUrl()).isEqualTo("wss://h.example/ws?key=***");
    assertThat(spec.toString()).doesNotContain("secret");
  }

  @Test
  void theSubscribeHookRunsAfreshEachTime() {
    AtomicInteger calls = new AtomicInteger();
    StreamSpec spec =
        StreamSpec.builder("a", "ws://h/")
            .subscribe(() -> List.of("sub-" + calls.incrementAndGet()))
            .build();
    assertThat(spec.subscribeMessages()).containsExactly("sub-1");
    assertThat(spec.subscribeMessages()).containsExactly("sub-2");
  }

  @Test
  void badInputIsRejectedWithAMessageSayingWhatToFix() {
    assertThatThrownBy(() -> StreamSpec.builder(" ", "ws://h/").build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("stream id must not be blank");
    assertThatThrownBy(() -> StreamSpec.builder("a", "http://h.example/ws?token=abc").build())
        .hasMessage(
            "stream 'a': url must start with ws:// or wss://, was http://h.example/ws?token=***");
    assertThatThrownBy(() -> StreamSpec.builder("a", "ws://bad host/").build())
        .hasMessage(
            "stream 'a': url ws://bad host/ is not valid: Invalid URL host: \"bad host\";"
                + " expected ws://host[:port]/path or wss://host[:port]/path");
    assertThatThrownBy(() -> StreamSpec.builder("a", "ws:///path").build())
        .hasMessage("stream 'a': url has no host, was ws:///path; expected ws://host[:port]/path");
    assertThatThrownBy(() -> StreamSpec.builder("a", "").build())
        .hasMessage("stream 'a': url must not be blank");
    assertThatThrownBy(
            () -> StreamSpec.builder("a", "ws://h/").connectTimeout(Duration.ZERO).build())
        .hasMessage("stream 'a': connectTimeout must be from 1ms to 10min, was PT0S");
    assertThatThrownBy(
            () -> StreamSpec.builder("a", "ws://h/").idleTimeout(Duration.ofSeconds(-1)).build())
        .hasMessage("stream 'a': idleTimeout must be 0 (off) or from 1ms to 1d, was PT-1S");
    assertThatThrownBy(() -> StreamSpec.builder("a", "ws://h/").maxQueuedBytes(0).build())
        .hasMessage("stream 'a': maxQueuedBytes must be within [1, 16777216], was 0");
    assertThatThrownBy(() -> StreamSpec.builder("a", "ws://h/").header("X-Key", "a\nb").build())
        .hasMessage(
            "stream 'a': header 'X-Key' has a character not allowed in HTTP headers;"
                + " remove control and non-ASCII characters");
  }
}
