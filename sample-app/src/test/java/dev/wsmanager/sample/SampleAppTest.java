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
  private static final String RECEIVED = "ws_manager_messages_received_total";

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
    await(
        "five streams are open on both sides",
        () -> app.manager().stats().activeConnections() == 5 && feed.openConnections() == 5);

    double before = Http.sum(Http.scrape(port), RECEIVED);
    await("ticks keep arriving", () -> Http.sum(Http.scrape(port), RECEIVED) >= before + 20);
    await(
        "a heartbeat answered",
        () -> Http.sum(Http.scrape(port), "ws_manager_heartbeats_total") >= 1);

    String text = Http.scrape(port);
    assertThat(
            Http.value(text, "ws_manager_active_connections{group=\"majors\",manager=\"sample\"}"))
        .isEqualTo(2);
    assertThat(Http.value(text, "ws_manager_active_connections{group=\"alts\",manager=\"sample\"}"))
        .isEqualTo(3);
    assertThat(Http.value(text, "ws_manager_active_connections{manager=\"sample\"}")).isZero();
    assertThat(Http.sum(text, "ws_manager_messages_sent_total"))
        .as("one subscribe message per stream, and heartbeats")
        .isGreaterThanOrEqualTo(6);
    assertThat(
            Http.value(
                text,
                "ws_manager_heartbeats_total{group=\"majors\",manager=\"sample\",result=\"timeout\"}"))
        .as("the demo feed answers every heartbeat without chaos")
        .isZero();
    assertThat(Http.sum(text, "ws_manager_message_delay_seconds_count"))
        .as("every tick carries its event time")
        .isGreaterThanOrEqualTo(20);
    assertThat(
            Http.value(
                text,
                "ws_manager_message_delay_seconds_bucket{group=\"alts\",manager=\"sample\",le=\"1.0\"}"))
        .as("ticks are stamped a few milliseconds before they are sent, never skewed without chaos")
        .isEqualTo(
            Http.value(
                text, "ws_manager_message_delay_seconds_count{group=\"alts\",manager=\"sample\"}"));
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
        .as("the HTTP server is stopped")
        .isInstanceOf(UncheckedIOException.class);
  }

  @Test
  void givenStreamsGetTheSubscriptionTokenAndLabels() throws IOException {
    try (DemoFeed feed = DemoFeed.start(Duration.ZERO)) {
      app =
          start(
              Map.of(
                  "PORT", "0",
                  "WS_STREAMS", feed.url() + "," + feed.url() + "?key=hunter22",
                  "WS_SUBSCRIBE_MESSAGE", "{\"op\":\"subscribe\",\"symbol\":\"ETHUSDT\"}",
                  "WS_METRICS_TOKEN", "t0ken",
                  "WS_METRICS_LABELS", "track=canary",
                  "WS_MANAGER_NAME", "canary-app"));
      int port = app.port();
      await(
          "both streams are open",
          () ->
              feed.openConnections() == 2
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
  void adminRoutesNeedTheAdminTokenAndExistOnlyWithIt() {
    app = start(Map.of("PORT", "0", "WS_ADMIN_TOKEN", "adm1n", "WS_METRICS_TOKEN", "scrape"));
    int port = app.port();
    await("five streams are open", () -> app.manager().stats().activeConnections() == 5);

    String reconnect = "/api/ws/streams/btcusdt/reconnect";
    assertThat(Http.post(port, reconnect).statusCode()).isEqualTo(401);
    assertThat(Http.post(port, reconnect, "Authorization", "Bearer scrape").statusCode())
        .as("the metrics token is not the admin token")
        .isEqualTo(401);
    var ok = Http.post(port, reconnect, "Authorization", "Bearer adm1n");
    assertThat(ok.statusCode()).isEqualTo(200);
    assertThat(ok.body())
        .isEqualTo("{\"action\":\"reconnect\",\"manager\":\"sample\",\"stream\":\"btcusdt\"}\n");
    assertThat(
            Http.post(port, "/api/ws/streams/nope/close", "Authorization", "Bearer adm1n")
                .statusCode())
        .isEqualTo(404);
    assertThat(
            Http.post(port, "/api/ws/streams/close-idle?for=PT1H", "Authorization", "Bearer adm1n")
                .body())
        .contains("\"closed\":[]");
    await("reconnected", () -> app.manager().stats().activeConnections() == 5);
    assertThat(app.manager().stats().adminOperations()).isEqualTo(1);
    app.close();

    app = start(Map.of("PORT", "0"));
    assertThat(Http.post(app.port(), reconnect, "Authorization", "Bearer adm1n").statusCode())
        .as("no WS_ADMIN_TOKEN, no admin routes")
        .isEqualTo(404);
  }

  @Test
  void aTakenPortIsReportedAndNothingIsLeftRunning() throws IOException {
    try (ServerSocket taken = new ServerSocket(0)) {
      int port = taken.getLocalPort();

      assertThatThrownBy(
              () -> SampleApp.start(SampleConfig.fromEnv(Map.of("PORT", String.valueOf(port)))))
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
    assertThatThrownBy(
            () ->
                SampleApp.start(
                    SampleConfig.fromEnv(
                        Map.of("PORT", "0", "WS_METRICS_LABELS", "1track=canary"))))
        .isInstanceOf(SampleConfig.ConfigException.class)
        .hasMessage(
            "WS_METRICS_LABELS: constant label name '1track' is not a valid Prometheus"
                + " label name; use letters, digits and '_', not starting with a digit or '__'");
    assertThatThrownBy(
            () ->
                SampleApp.start(
                    SampleConfig.fromEnv(Map.of("PORT", "0", "WS_MANAGER_NAME", "my manager"))))
        .isInstanceOf(SampleConfig.ConfigException.class)
        .hasMessage(
            "WS_MANAGER_NAME: name must be 1 to 64 letters, digits, '_', '.' or '-', was"
                + " 'my manager'");
  }
}
