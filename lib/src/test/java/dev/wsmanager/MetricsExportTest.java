package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.metrics.MetricNames;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.Scrape;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class MetricsExportTest {
  private final WsPeer peer = new WsPeer();
  private final PrometheusRegistry registry = new PrometheusRegistry();

  @AfterEach
  void tearDown() {
    peer.close();
  }

  static String scrape(PrometheusRegistry registry) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  static String scrapeUnchecked(PrometheusRegistry registry) {
    try {
      return scrape(registry);
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void everyContractNameIsExportedWithTheManagerAndConstantLabels() throws Exception {
    try (WsManager manager =
        WsManager.builder()
            .name("export")
            .registry(registry)
            .constantLabel("track", "canary")
            .build()) {
      ManagedStream s = manager.open(StreamSpec.builder("a", peer.url()).build());
      // the connect duration is recorded just after the stream turns OPEN
      Await.until(
          "open and its connect counted",
          () ->
              s.state() == StreamState.OPEN
                  && Scrape.value(registry, MetricNames.CONNECT_DURATION + "_count", "") == 1);
      String text = scrape(registry);
      for (String name :
          new String[] {
            MetricNames.ACTIVE_CONNECTIONS,
            MetricNames.ACTIVE_CONNECTIONS_HWM,
            MetricNames.RETRY_COUNT,
            MetricNames.STREAM_CREATIONS,
            MetricNames.STREAM_CLEANUPS,
            MetricNames.CONNECTION_ATTEMPTS,
            MetricNames.MESSAGES_RECEIVED,
            MetricNames.MESSAGES_SENT,
            MetricNames.LISTENER_ERRORS,
          }) {
        assertThat(text).contains(name + "{manager=\"export\",track=\"canary\"} ");
      }
      assertThat(text)
          .contains("ws_manager_active_connections{manager=\"export\",track=\"canary\"} 1.0")
          .contains("ws_manager_stream_creations_total{manager=\"export\",track=\"canary\"} 1.0")
          .contains(
              "ws_manager_connection_failures_total{manager=\"export\",reason=\"ping_timeout\",track=\"canary\"} 0.0")
          .contains("ws_manager_streams{manager=\"export\",state=\"open\",track=\"canary\"} 1.0")
          .contains(
              "ws_manager_connect_duration_seconds_bucket{manager=\"export\",track=\"canary\",le=\"+Inf\"} 1")
          .contains(
              "ws_manager_connect_duration_seconds_count{manager=\"export\",track=\"canary\"} 1")
          .doesNotContain("127.0.0.1");
      assertThat(text).doesNotContain("state=\"closed\"");
      for (FailureReason r : FailureReason.values()) {
        assertThat(text).contains("reason=\"" + r.label() + "\"");
      }
    }
  }

  @Test
  void managersShareARegistryAndAClosedManagersSeriesDisappear() throws Exception {
    WsManager a = WsManager.builder().name("a").registry(registry).build();
    WsManager b = WsManager.builder().name("b").registry(registry).build();
    assertThat(scrape(registry)).contains("manager=\"a\"").contains("manager=\"b\"");
    assertThatThrownBy(() -> WsManager.builder().name("a").registry(registry).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("is already registered on this PrometheusRegistry");
    a.close();
    assertThat(scrape(registry)).doesNotContain("manager=\"a\"").contains("manager=\"b\"");
    b.close();
    assertThat(scrape(registry)).doesNotContain("ws_manager_");
    // the name is free again
    WsManager.builder().name("a").registry(registry).build().close();
  }

  @Test
  void perStreamSeriesAreOptInAndRemovedWithTheirStream() throws Exception {
    try (WsManager manager =
        WsManager.builder().name("per").registry(registry).perStreamMetrics(true).build()) {
      ManagedStream s = manager.open(StreamSpec.builder("odd \"id\"\nü", peer.url()).build());
      Await.until("open", () -> s.state() == StreamState.OPEN);
      String text = scrape(registry);
      assertThat(text)
          .contains(
              "ws_manager_connection_attempts_total{manager=\"per\",stream=\"odd \\\"id\\\"\\nü\"} 1.0");
      s.closeAsync().toCompletableFuture().get(30, TimeUnit.SECONDS); // removed
      assertThat(scrape(registry)).doesNotContain("stream=");
    }
  }

  @Test
  void invalidBuilderValuesAreRejected() {
    assertThatThrownBy(() -> WsManager.builder().name("has space").build())
        .hasMessage("name must be 1 to 64 letters, digits, '_', '.' or '-', was 'has space'");
    assertThatThrownBy(() -> WsManager.builder().constantLabel("1track", "x").build())
        .hasMessage(
            "constant label name '1track' is not a valid Prometheus label name; use letters,"
                + " digits and '_', not starting with a digit or '__'");
    assertThatThrownBy(() -> WsManager.builder().constantLabel("state", "x").build())
        .hasMessage("constant label name 'state' is reserved; choose another name");
    assertThatThrownBy(() -> WsManager.builder().maxConnectsPerSecond(0, 1).build())
        .hasMessage("maxConnectsPerSecond must be a positive finite number, was 0.0");
    assertThatThrownBy(() -> WsManager.builder().maxConnectsPerSecond(10, 0).build())
        .hasMessage("connect burst must be at least 1, was 0");
  }

  /** promtool is installed by .ci/run; where it is missing this check is skipped, not faked. */
  @Test
  void promtoolFindsNothingToLintInTheExposition() throws Exception {
    File promtool = findOnPath("promtool");
    org.junit.jupiter.api.Assumptions.assumeTrue(promtool != null, "promtool not installed");
    try (WsManager manager =
        WsManager.builder().name("lint").registry(registry).perStreamMetrics(true).build()) {
      ManagedStream s = manager.open(StreamSpec.builder("a", peer.url()).build());
      Await.until("open", () -> s.state() == StreamState.OPEN);
      Path file = Files.createTempFile("scrape", ".prom");
      Files.writeString(file, scrape(registry));
      Process p =
          new ProcessBuilder(promtool.getPath(), "check", "metrics")
              .redirectInput(file.toFile())
              .redirectErrorStream(true)
              .start();
      String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(output).isEmpty();
      assertThat(p.exitValue()).isZero();
      Files.delete(file);
    }
  }

  static File findOnPath(String name) {
    for (String dir : System.getenv().getOrDefault("PATH", "").split(File.pathSeparator)) {
      File f = new File(dir, name);
      if (f.canExecute()) {
        return f;
      }
    }
    return null;
  }
}
