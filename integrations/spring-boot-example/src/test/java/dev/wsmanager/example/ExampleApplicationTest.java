package dev.wsmanager.example;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.core.env.Environment;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The example application on a random port, its stream (from application.yml) pointed at a real
 * WebSocket peer: the stream opens and Actuator and /api/ws/metrics show it. The same test runs on
 * Spring Boot 3.5 and 4.0.
 */
@SpringBootTest(
    webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
    // Spring Boot's tests turn metrics export off unless asked: ask, the same way on Boot 3 and 4.
    properties = "management.prometheus.metrics.export.enabled=true")
class ExampleApplicationTest {
  private static final Peer PEER = newPeer();
  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  @Autowired Environment environment;

  private static Peer newPeer() {
    try {
      return new Peer();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void streamUrl(DynamicPropertyRegistry registry) {
    registry.add("example.feed-url", PEER::url);
  }

  @AfterAll
  static void stopPeer() {
    PEER.close();
  }

  private HttpResponse<String> get(String path, String accept) throws Exception {
    HttpRequest.Builder r =
        HttpRequest.newBuilder(URI.create(base() + path)).timeout(Duration.ofSeconds(10));
    if (accept != null) {
      r.header("Accept", accept);
    }
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  private String base() {
    return "http://127.0.0.1:" + environment.getProperty("local.server.port");
  }

  private static void await(String what, BooleanSupplier condition) {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out waiting for " + what);
      }
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
    }
  }

  /** The JSON object that follows {@code key} in {@code json} (Boot 3 and 4 order keys apart). */
  private static String objectAt(String json, String key) {
    int start = json.indexOf(key);
    assertThat(start).as(key + " in " + json).isNotNegative();
    start += key.length();
    int depth = 0;
    for (int i = start; i < json.length(); i++) {
      char c = json.charAt(i);
      if (c == '{') {
        depth++;
      } else if (c == '}' && --depth == 0) {
        return json.substring(start, i + 1);
      }
    }
    throw new AssertionError("unterminated object after " + key + " in " + json);
  }

  private volatile String lastScrape;

  private boolean prometheusShowsOneConnection() {
    try {
      HttpResponse<String> r = get("/actuator/prometheus", null);
      lastScrape = r.statusCode() + " " + r.body();
      return r.body()
          .lines()
          .anyMatch(
              l ->
                  l.startsWith("ws_manager_active_connections{")
                      && l.contains("manager=\"example\"")
                      && l.endsWith(" 1.0"));
    } catch (Exception e) {
      lastScrape = e.toString();
      return false;
    }
  }

  @Test
  void streamFromApplicationYmlOpensAndIsObservable() throws Exception {
    try {
      await("ws_manager_active_connections 1 at /actuator/prometheus", this::prometheusShowsOneConnection);
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "; last scrape: " + lastScrape, e);
    }
    assertThat(PEER.received.poll(10, TimeUnit.SECONDS))
        .as("the subscription from application.yml")
        .isEqualTo("{\"op\":\"subscribe\",\"channel\":\"ticks\"}");

    HttpResponse<String> health = get("/actuator/health", null);
    assertThat(health.statusCode()).isEqualTo(200);
    assertThat(objectAt(health.body().replace(" ", ""), "\"wsManager\":"))
        .as("the wsManager health component")
        .contains("\"status\":\"UP\"")
        .contains("\"open\":1");

    HttpResponse<String> text = get("/api/ws/metrics", null);
    assertThat(text.statusCode()).isEqualTo(200);
    assertThat(text.headers().firstValue("Content-Type")).hasValueSatisfying(
        v -> assertThat(v.replace(" ", "")).startsWith("text/plain;version=0.0.4"));
    assertThat(text.body()).contains("ws_manager_active_connections{");

    HttpResponse<String> openMetrics =
        get("/api/ws/metrics", "application/openmetrics-text;version=1.0.0");
    assertThat(openMetrics.statusCode()).isEqualTo(200);
    assertThat(openMetrics.headers().firstValue("Content-Type")).hasValueSatisfying(
        v -> assertThat(v).startsWith("application/openmetrics-text"));
    assertThat(openMetrics.body()).endsWith("# EOF\n");

    HttpResponse<String> json = get("/api/ws/metrics?format=json", null);
    assertThat(json.statusCode()).isEqualTo(200);
    assertThat(json.headers().firstValue("Content-Type")).hasValueSatisfying(
        v -> assertThat(v).startsWith("application/json"));
    assertThat(json.body().replace(" ", "")).contains("\"activeConnections\":1");

    HttpResponse<Void> head =
        HTTP.send(
            HttpRequest.newBuilder(URI.create(base() + "/api/ws/metrics"))
                .method("HEAD", HttpRequest.BodyPublishers.noBody())
                .build(),
            HttpResponse.BodyHandlers.discarding());
    assertThat(head.statusCode()).isEqualTo(200);

    HttpResponse<String> streams = get("/actuator/wsmanager", null);
    assertThat(streams.statusCode()).isEqualTo(200);
    assertThat(streams.body().replace(" ", ""))
        .contains("\"id\":\"demo-ticks\"")
        .contains("\"state\":\"open\"");
  }
}
