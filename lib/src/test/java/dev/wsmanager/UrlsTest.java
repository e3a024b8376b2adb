package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import org.junit.jupiter.api.Test;

class UrlsTest {
  @Test
  void masksUserInfoAndQueryValuesButKeepsWhatOperatorsNeed() {
    URI uri =
        URI.create(
            "wss://alice:s3cr3t@stream.example.com:9443/ws/v1?apikey=AKIA123&symbols=btc&flag#frag");
    assertThat(Urls.redact(uri))
        .isEqualTo("wss://***@stream.example.com:9443/ws/v1?apikey=***&symbols=***&flag");
  }

  @Test
  void plainUrlsAreUnchanged() {
    assertThat(Urls.redact(URI.create("ws://127.0.0.1:8080/feed")))
        .isEqualTo("ws://127.0.0.1:8080/feed");
    assertThat(Urls.redact(URI.create("ws://[::1]:8080/"))).isEqualTo("ws://[::1]:8080/");
  }
}
