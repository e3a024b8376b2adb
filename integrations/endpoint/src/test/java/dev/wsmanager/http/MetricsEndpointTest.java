package dev.wsmanager.http;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.WsManager;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.time.Instant;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The framework-neutral entry point, called directly: builder checks and the response object. */
class MetricsEndpointTest {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsManager manager = WsManager.builder().name("direct").registry(registry).build();

  @AfterEach
  void closeManager() {
    manager.close();
  }

  private MetricsEndpoint.Builder endpoint() {
    return MetricsEndpoint.builder().manager(manager).registry(registry);
  }

  @Test
  void withoutARegistryTheEndpointExposesTheManagersOwn() {
    MetricsEndpoint.Response response =
        MetricsEndpoint.builder().manager(manager).build().handle("GET", null, null, null);
    assertThat(response.status()).isEqualTo(200);
    assertThat(new String(response.body(), java.nio.charset.StandardCharsets.UTF_8))
        .contains("ws_manager_active_connections{manager=\"direct\"} 0.0");
    assertThat(manager.registry()).isSameAs(registry);
  }

  @Test
  void aManagerIsRequired() {
    assertThatThrownBy(() -> MetricsEndpoint.builder().build())
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("no manager: call manager(...) at least once");
  }

  @Test
  void headRequiresTokenNeedsAToken() {
    assertThatThrownBy(() -> endpoint().headRequiresToken(true).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("headRequiresToken(true) needs a token: call bearerToken(...) too");
  }

  @Test
  void badTokensAreRejectedWithoutShowingThem() {
    assertThatThrownBy(() -> endpoint().bearerToken(""))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("bearerToken must not be empty");
    assertThatThrownBy(() -> endpoint().bearerToken("my secret"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "bearerToken must be visible ASCII characters without spaces; character 3 is"
                + " not (the token is not shown)");
    assertThatThrownBy(() -> endpoint().bearerToken("sécret")).hasMessageNotContaining("cret");
    assertThatThrownBy(() -> endpoint().bearerToken(null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("token");
  }

  @Test
  void jsonTimestampComesFromTheClock() {
    Instant now = Instant.parse("2026-03-01T12:00:00Z");
    MetricsEndpoint endpoint = endpoint().build(() -> now);

    MetricsEndpoint.Response response = endpoint.handle("GET", "format=json", null, null);

    assertThat(Json.parseObject(response.body()))
        .containsEntry("timestamp", "2026-03-01T12:00:00Z");
  }

  @Test
  void headErrorsHaveNoBody() {
    MetricsEndpoint endpoint = endpoint().build();

    MetricsEndpoint.Response response =
        endpoint.handle("HEAD", null, "x".repeat(MetricsEndpoint.MAX_HEADER_LENGTH + 1), null);

    assertThat(response.status()).isEqualTo(431);
    assertThat(response.bodyLength()).isZero();
    assertThat(response.header("content-type")).isEmpty();
  }

  @Test
  void theResponseIsImmutable() throws IOException {
    MetricsEndpoint.Response response = endpoint().build().handle("GET", "format=nope", null, null);

    byte[] body = response.body();
    body[0] = 'X';
    ByteArrayOutputStream written = new ByteArrayOutputStream();
    response.writeBody(written);

    assertThat(new String(response.body(), UTF_8)).startsWith("unknown format");
    assertThat(written.toByteArray()).isEqualTo(response.body());
    assertThat(response.bodyLength()).isEqualTo(body.length);
    assertThatThrownBy(() -> response.headers().put("X", "y"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(response.headers())
        .containsExactly(
            Map.entry("Content-Type", "text/plain; charset=utf-8"),
            Map.entry("Cache-Control", "no-store"),
            Map.entry("X-Content-Type-Options", "nosniff"));
    assertThat(response.header("CONTENT-TYPE")).hasValue("text/plain; charset=utf-8");
    assertThat(response)
        .hasToString(
            "Response{status=400, headers={Content-Type=text/plain; charset=utf-8,"
                + " Cache-Control=no-store, X-Content-Type-Options=nosniff}, bodyLength="
                + body.length
                + "}");
  }

  @Test
  void badPercentEncodingIsA400() {
    MetricsEndpoint.Response response = endpoint().build().handle("GET", "format=%zz", null, null);

    assertThat(response.status()).isEqualTo(400);
    assertThat(new String(response.body(), UTF_8))
        .isEqualTo("malformed query string: bad percent-encoding\n");
  }

  @Test
  void aMethodIsRequired() {
    MetricsEndpoint endpoint = endpoint().build();

    assertThatThrownBy(() -> endpoint.handle(null, null, null, null))
        .isInstanceOf(NullPointerException.class)
        .hasMessage("method");
  }

  @Test
  void oddMethodNamesAreQuotedSafely() {
    MetricsEndpoint.Response response = endpoint().build().handle("BR\nEW", null, null, null);

    assertThat(response.status()).isEqualTo(405);
    assertThat(new String(response.body(), UTF_8))
        .isEqualTo("method BR?EW not allowed; use GET or HEAD\n");
  }
}
