package dev.wsmanager.sample;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.sample.SampleConfig.ConfigException;
import java.net.URI;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class SampleConfigTest {
  @Test
  void noVariablesMeansTheDemoOnPort3000() {
    SampleConfig config = SampleConfig.fromEnv(Map.of());

    assertThat(config.port()).isEqualTo(3000);
    assertThat(config.demo()).isTrue();
    assertThat(config.streams()).isEmpty();
    assertThat(config.subscribeMessage()).isNull();
    assertThat(config.metricsToken()).isNull();
    assertThat(config.labels()).isEmpty();
    assertThat(config.managerName()).isEqualTo("sample");
    assertThat(config.demoChaos()).isFalse();
  }

  @Test
  void emptyVariablesCountAsUnset() {
    SampleConfig config =
        SampleConfig.fromEnv(Map.of("PORT", "", "WS_STREAMS", "", "WS_METRICS_TOKEN", ""));

    assertThat(config).isEqualTo(SampleConfig.fromEnv(Map.of()));
  }

  @Test
  void everyVariable() {
    SampleConfig config =
        SampleConfig.fromEnv(
            Map.of(
                "PORT", "8081",
                "WS_STREAMS", "wss://stream.example.com/ws?key=abc, ws://127.0.0.1:9000/feed",
                "WS_SUBSCRIBE_MESSAGE", "{\"op\":\"subscribe\"}",
                "WS_METRICS_TOKEN", "s3cr3t",
                "WS_METRICS_LABELS", "track=canary, region = eu-west-1",
                "WS_MANAGER_NAME", "market-data",
                "DEMO_CHAOS", "TRUE"));

    assertThat(config.port()).isEqualTo(8081);
    assertThat(config.demo()).isFalse();
    assertThat(config.streams())
        .containsExactly(
            URI.create("wss://stream.example.com/ws?key=abc"),
            URI.create("ws://127.0.0.1:9000/feed"));
    assertThat(config.subscribeMessage()).isEqualTo("{\"op\":\"subscribe\"}");
    assertThat(config.metricsToken()).isEqualTo("s3cr3t");
    assertThat(config.labels())
        .containsExactly(Map.entry("track", "canary"), Map.entry("region", "eu-west-1"));
    assertThat(config.managerName()).isEqualTo("market-data");
    assertThat(config.demoChaos()).isTrue();
    assertThat(config.toString()).doesNotContain("s3cr3t").doesNotContain("key=abc");
  }

  @Test
  void portZeroPicksAFreePort() {
    assertThat(SampleConfig.fromEnv(Map.of("PORT", "0")).port()).isZero();
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      quoteCharacter = '"',
      value = {
        "PORT | abc | PORT must be a number from 0 to 65535, was 'abc'",
        "PORT | 70000 | PORT must be a number from 0 to 65535, was '70000'",
        "PORT | -1 | PORT must be a number from 0 to 65535, was '-1'",
        "WS_STREAMS | http://example.com/ws | stream 'WS_STREAMS entry 1': url must start with"
            + " ws:// or wss://, was http://example.com/ws",
        "WS_STREAMS | example.com/ws | stream 'WS_STREAMS entry 1': url must start with ws:// or"
            + " wss://, was example.com/ws",
        "WS_STREAMS | ws:///ws | stream 'WS_STREAMS entry 1': url has no host, was ws:///ws;"
            + " expected ws://host[:port]/path",
        "WS_STREAMS | ws://a.example/ws,,ws://b.example/ws | WS_STREAMS entry 2 is empty;"
            + " expected comma-separated ws:// or wss:// URLs",
        "WS_METRICS_LABELS | track | WS_METRICS_LABELS entry 'track' must look like name=value,"
            + " such as track=canary",
        "WS_METRICS_LABELS | track= | WS_METRICS_LABELS entry 'track=' must look like name=value,"
            + " such as track=canary",
        "WS_METRICS_LABELS | a=1,a=2 | WS_METRICS_LABELS sets label 'a' twice",
        "DEMO_CHAOS | yes | DEMO_CHAOS must be true or false, was 'yes'",
        "WS_METRICS_TOKEN | two words | WS_METRICS_TOKEN: bearerToken must be visible ASCII"
            + " characters without spaces; character 4 is not (the token is not shown)",
      })
  void badValuesAreNamedWithWhatIsExpected(String variable, String value, String message) {
    assertThatThrownBy(() -> SampleConfig.fromEnv(Map.of(variable, value)))
        .isInstanceOf(ConfigException.class)
        .hasMessage(message);
  }

  @Test
  void secretsInBadUrlsAreMasked() {
    assertThatThrownBy(
            () ->
                SampleConfig.fromEnv(
                    Map.of("WS_STREAMS", "http://user:pa55@example.com/ws?key=topsecret&x=1")))
        .hasMessage(
            "stream 'WS_STREAMS entry 1': url must start with ws:// or wss://, was"
                + " http://***@example.com/ws?key=***&x=***");
    assertThatThrownBy(
            () -> SampleConfig.fromEnv(Map.of("WS_STREAMS", "ws://u:pa55@bad host/?key=topsecret")))
        .hasMessageNotContaining("pa55")
        .hasMessageNotContaining("topsecret");
  }

  @Test
  void urlsFollowTheLibrarysRules() {
    assertThatThrownBy(() -> SampleConfig.fromEnv(Map.of("WS_STREAMS", "ws://exa mple.com/ws")))
        .isInstanceOf(ConfigException.class)
        .hasMessage(
            "stream 'WS_STREAMS entry 1': url ws://exa mple.com/ws is not valid: Invalid"
                + " URL host: \"exa mple.com\"; expected ws://host[:port]/path or"
                + " wss://host[:port]/path");
    assertThatThrownBy(
            () ->
                SampleConfig.fromEnv(
                    Map.of("WS_STREAMS", "ws://a.example/ws,ws://b.example:99999/ws")))
        .hasMessage(
            "stream 'WS_STREAMS entry 2': url ws://b.example:99999/ws is not valid: Invalid"
                + " URL port: \"99999\"; expected ws://host[:port]/path or wss://host[:port]/path");
    // a host name with an underscore, as container networks have, is accepted as OkHttp does
    assertThat(SampleConfig.fromEnv(Map.of("WS_STREAMS", "ws://market_feed:8080/ws")).streams())
        .extracting(Object::toString)
        .containsExactly("ws://market_feed:8080/ws");
  }

  @Test
  void controlCharactersNeverBreakTheLine() {
    assertThatThrownBy(() -> SampleConfig.fromEnv(Map.of("PORT", "30\n00")))
        .hasMessage("PORT must be a number from 0 to 65535, was '30?00'");
  }

  @Test
  void misspeltVariablesAreFound() {
    assertThat(
            SampleConfig.unknownVariables(
                Map.of("WS_STREAM", "x", "WS_STREAMS", "y", "WS_TOKEN", "z", "HOME", "/root")))
        .isEqualTo(List.of("WS_STREAM", "WS_TOKEN"));
  }
}
