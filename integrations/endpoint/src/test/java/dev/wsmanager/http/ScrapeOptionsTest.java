package dev.wsmanager.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.zip.GZIPInputStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The JSON view's paging at a few hundred streams, and the text formats' {@code name[]} filter and
 * gzip. The streams wait for admission (one attempt per 1,000 s), so they are live without sockets.
 */
class ScrapeOptionsTest {
  private static final int STREAMS = 250;

  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsManager manager =
      WsManager.builder()
          .name("many")
          .registry(registry)
          .maxConnectsPerSecond(0.001, 1)
          .reconnectPolicy(
              ReconnectPolicy.builder()
                  .initialDelay(Duration.ofHours(1))
                  .maxDelay(Duration.ofHours(1))
                  .build())
          .build();
  private final MetricsEndpoint endpoint;
  private EndpointServer http;

  ScrapeOptionsTest() {
    for (int i = 0; i < STREAMS; i++) {
      manager.open(StreamSpec.builder(String.format("s%03d", i), "ws://127.0.0.1:1/x").build());
    }
    endpoint = MetricsEndpoint.builder().manager(manager).registry(registry).build();
  }

  @AfterEach
  void tearDown() {
    if (http != null) {
      http.close();
    }
    manager.close();
  }

  private Map<String, Object> json(String query) {
    MetricsEndpoint.Response response = endpoint.handle("GET", query, null, null);
    assertThat(response.status()).as(query).isEqualTo(200);
    return Json.parseObject(response.body());
  }

  @SuppressWarnings("unchecked")
  private static List<Object> ids(Map<String, Object> json) {
    return ((List<Map<String, Object>>) json.get("streams"))
        .stream().map(s -> s.get("id")).toList();
  }

  @SuppressWarnings("unchecked")
  private static Map<String, Object> page(Map<String, Object> json) {
    return (Map<String, Object>) json.get("page");
  }

  @Test
  void jsonListsTheFirstHundredStreamsByDefault() {
    Map<String, Object> json = json("format=json");

    assertThat(ids(json)).hasSize(100).startsWith("s000", "s001").endsWith("s099");
    assertThat(json.get("page"))
        .isEqualTo(Map.of("offset", 0L, "limit", 100L, "total", 250L, "next", 100L));
    @SuppressWarnings("unchecked")
    Map<String, Object> metrics = (Map<String, Object>) json.get("metrics");
    assertThat(metrics).containsEntry("streamCreations", 250L);
  }

  @Test
  void offsetAndLimitPageThroughEveryStream() {
    Map<String, Object> middle = json("format=json&offset=100&limit=120");
    assertThat(ids(middle)).hasSize(120).startsWith("s100").endsWith("s219");
    assertThat(middle.get("page"))
        .isEqualTo(Map.of("offset", 100L, "limit", 120L, "total", 250L, "next", 220L));

    Map<String, Object> last = json("format=json&offset=220&limit=1000");
    assertThat(ids(last)).hasSize(30).endsWith("s249");
    assertThat(page(last)).containsEntry("next", null);

    Map<String, Object> beyond = json("format=json&offset=5000");
    assertThat(ids(beyond)).isEmpty();
    assertThat(page(beyond)).containsEntry("total", 250L).containsEntry("next", null);
  }

  @Test
  void streamsFalseLeavesOutTheListButNotTheTotals() {
    Map<String, Object> json = json("format=json&streams=FALSE");

    assertThat(json).doesNotContainKeys("streams", "page").containsKeys("status", "metrics");
  }

  @ParameterizedTest
  @CsvSource(
      delimiter = '|',
      value = {
        "limit=0 | limit must be a whole number from 1 to 1000; got '0'",
        "limit=1001 | limit must be a whole number from 1 to 1000; got '1001'",
        "limit=ten | limit must be a whole number from 1 to 1000; got 'ten'",
        "offset=-1 | offset must be a whole number from 0 to 2147483647; got '-1'",
        "streams=maybe | streams must be true or false; got 'maybe'",
        "limit=1&limit=2 | limit must be given at most once",
      })
  void badPagingParametersAre400sNamingTheFix(String query, String message) {
    MetricsEndpoint.Response response = endpoint.handle("GET", "format=json&" + query, null, null);

    assertThat(response.status()).isEqualTo(400);
    assertThat(new String(response.body(), UTF_8)).isEqualTo(message + "\n");
  }

  @Test
  void nameFiltersSelectMetricFamilies() {
    http = new EndpointServer(endpoint);

    String text =
        new String(
            http.get("name[]=ws_manager_streams&name%5B%5D=ws_manager_stream_creations").body(),
            UTF_8);

    assertThat(text)
        .contains("ws_manager_streams{manager=\"many\",state=\"connecting\"}")
        .contains("ws_manager_stream_creations_total{manager=\"many\"} 250.0")
        .doesNotContain("ws_manager_active_connections");
  }

  @Test
  void textIsGzippedWhenTheClientAcceptsIt() throws IOException {
    http = new EndpointServer(endpoint);

    HttpResponse<byte[]> zipped = http.get(null, "Accept-Encoding", "deflate, gzip");
    HttpResponse<byte[]> plain = http.get(null);

    assertThat(zipped.headers().firstValue("Content-Encoding")).hasValue("gzip");
    assertThat(zipped.headers().firstValue("Content-Type"))
        .hasValue("text/plain; version=0.0.4; charset=utf-8");
    String unzipped;
    try (GZIPInputStream in = new GZIPInputStream(new ByteArrayInputStream(zipped.body()))) {
      unzipped = new String(in.readAllBytes(), UTF_8);
    }
    assertThat(unzipped).contains("ws_manager_stream_creations_total{manager=\"many\"} 250.0");
    assertThat(zipped.body().length).isLessThan(plain.body().length);
    assertThat(plain.headers().firstValue("Content-Encoding")).isEmpty();
  }

  @Test
  void theHeadersEntryPointReadsBodyAndAuthorizationHeaders() {
    assertThat(endpoint.handle("GET", null, Map.of("Content-Length", List.of("5"))::get).status())
        .isEqualTo(413);
    assertThat(
            endpoint
                .handle("HEAD", null, Map.of("Transfer-Encoding", List.of("chunked"))::get)
                .bodyLength())
        .isZero();
    assertThat(
            endpoint
                .handle("GET", null, Map.of("Authorization", List.of("Bearer a", "Bearer b"))::get)
                .status())
        .isEqualTo(400);
    assertThat(endpoint.handle("GET", null, Map.of("Content-Length", List.of("0"))::get).status())
        .isEqualTo(200);
    assertThat(endpoint.handle("GET", null, name -> null).status()).isEqualTo(200);
  }
}
