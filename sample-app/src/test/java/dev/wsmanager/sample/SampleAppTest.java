package dev.wsmanager.sample;

import static dev.wsmanager.sample.Eventually.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.tuple;

import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamState;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The app started in-process on a free port, against the demo feed. */
class SampleAppTest {
  private static final String RECEIVED = "ws_manager_messages_received_total{manager=\"sample\"}";

  private SampleApp app;

  @AfterEach
  void stop() {
    if (app != null) {
      app.close();
    }
  }

  private static SampleApp start(Map<String, String> env) {
    try {
      return SampleApp.start(SampleConfig.fromEnv(env));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @Test
  void theDemoStreamsOpenMetricsMoveAndShutdownClosesThemCleanly() {
    app = start(Map.of("PORT", "0"));
    DemoFeed feed = app.demoFeed();
    int port = app.port();
    await("five streams are open on both sides",
        () -> app.manager().stats().activeConnections() == 5 && feed.openConnections() == 5);

    double before = Http.value(Http.scrape(port), RECEIVED);
    await("ticks keep arriving", () -> Http.value(Http.scrape(port), RECEIVED) >= before + 20);

    String text = Http.scrape(port);
    assertThat(Http.value(text, "ws_manager_active_connections{manager=\"sample\"}")).isEqualTo(5);
    assertThat(Http.value(text, "ws_manager_messages_sent_total{manager=\"sample\"}"))
        .as("one subscribe message per stream").isEqualTo(5);
    assertThat(text).contains("jvm_memory_used_bytes{area=\"heap\"}");
    assertThat(app.manager().streams())
        .extracting(StreamSnapshot::id)
        .containsExactly("btcusdt", "dogeusdt", "ethusdt", "solusdt", "xrpusdt");
    assertThat(Http.send("GET", port, "format=json").body())
        .startsWith("{\"status\":\"healthy\",")
        .contains("\"activeConnections\":5,");
    assertThat(Http.send("HEAD", port, null).statusCode()).isEqualTo(200);

    app.close();

    assertThat(feed.openConnections()).isZero();
    assertThat(feed.cleanClientCloses()).as("streams closed by the client with 1000").isEqualTo(5);
    assertThat(app.manager().isRunning()).isFalse();
    assertThatThrownBy(() -> Http.send("HEAD", port, null))
        .as("the HTTP server is stopped").isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void givenStreamsGetTheSubscriptionTokenAndLabels() throws IOException {
    try (DemoFeed feed = DemoFeed.start(Duration.ZERO)) {
      app = start(Map.of(
          "PORT", "0",
          "WS_STREAMS", feed.url() + "," + feed.url() + "?key=hunter22",
          "WS_SUBSCRIBE_MESSAGE", "{\"op\":\"subscribe\",\"symbol\":\"ETHUSDT\"}",
          "WS_METRICS_TOKEN", "t0ken",
          "WS_METRICS_LABELS", "track=canary",
          "WS_MANAGER_NAME", "canary-app"));
      int port = app.port();
      await("both streams are open", () -> feed.openConnections() == 2
          && app.manager().streams().stream().allMatch(s -> s.state() == StreamState.OPEN));

      assertThat(Http.send("GET", port, null).statusCode()).isEqualTo(401);
      assertThat(Http.send("HEAD", port, null).statusCode()).isEqualTo(200);
      String text = Http.scrape(port, "Authorization", "Bearer t0ken");
      assertThat(text)
          .contains("ws_manager_active_connections{manager=\"canary-app\",track=\"canary\"} 2.0")
          .contains("jvm_threads_current{track=\"canary\"}");
      assertThat(app.manager().streams())
          .extracting(StreamSnapshot::id, StreamSnapshot::url, StreamSnapshot::messagesSent)
          .containsExactly(
              tuple("127.0.0.1", feed.url().toString(), 1L),
              tuple("127.0.0.1#2", feed.url() + "?key=***", 1L));
      assertThat(Http.send("GET", port, "format=json", "Authorization", "Bearer t0ken").body())
          .doesNotContain("hunter22");

      app.close();

      assertThat(feed.openConnections()).isZero();
      assertThat(feed.cleanClientCloses()).isEqualTo(2);
    }
  }

  @Test
  void aTakenPortIsReportedAndNothingIsLeftRunning() throws IOException {
    try (ServerSocket taken = new ServerSocket(0)) {
      int port = taken.getLocalPort();

      assertThatThrownBy(() -> SampleApp.start(SampleConfig.fromEnv(
              Map.of("PORT", String.valueOf(port)))))
          .isInstanceOf(IOException.class)
          .hasMessageStartingWith("cannot listen on port " + port + " (")
          .hasMessageEndingWith("); set PORT to a free port");
    }
    assertThat(Thread.getAllStackTraces().keySet())
        .extracting(Thread::getName)
        .noneMatch(name -> name.startsWith("ws-manager-sample-"))
        .noneMatch(name -> name.startsWith("demo-feed"));
  }

  @Test
  void namesAndLabelsAreCheckedByTheManagersBuilderAndNamedByVariable() {
    assertThatThrownBy(() -> SampleApp.start(SampleConfig.fromEnv(
            Map.of("PORT", "0", "WS_METRICS_LABELS", "1track=canary"))))
        .isInstanceOf(SampleConfig.ConfigException.class)
        .hasMessage("WS_METRICS_LABELS: constant label name '1track' is not a valid Prometheus"
            + " label name; use letters, digits and '_', not starting with a digit or '__'");
    assertThatThrownBy(() -> SampleApp.start(SampleConfig.fromEnv(
            Map.of("PORT", "0", "WS_MANAGER_NAME", "my manager"))))
        .isInstanceOf(SampleConfig.ConfigException.class)
        .hasMessage("WS_MANAGER_NAME: name must be 1 to 64 letters, digits, '_', '.' or '-', was"
            + " 'my manager'");
  }
}
