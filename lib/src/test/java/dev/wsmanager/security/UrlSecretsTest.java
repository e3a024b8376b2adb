package dev.wsmanager.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.TestHooks;
import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.CapturedLog;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.FaultProxy;
import dev.wsmanager.testing.RawServer;
import dev.wsmanager.testing.RecordingListener;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import mockwebserver3.MockResponse;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Streams whose URLs carry credentials ({@code user:password@} and {@code ?apikey=}) fail in every
 * way the matrix knows; the secrets must appear in no log line, no metric label, no snapshot (the
 * source of the JSON view), and no exception or message handed to the user.
 */
class UrlSecretsTest {
  private static final String USER = "wsuser";
  private static final String PASSWORD = "PASSW0RD42";
  private static final String API_KEY = "SECRETKEY123";
  private static final List<String> SECRETS = List.of(USER, PASSWORD, API_KEY);
  private static final String CREDENTIALS = USER + ":" + PASSWORD + "@";
  private static final String QUERY = "?apikey=" + API_KEY + "&symbol=btcusdt";

  private final FakeTime time = new FakeTime();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsPeer peer = new WsPeer();
  private final FaultProxy proxy = new FaultProxy(peer.port());
  private final RecordingListener listener = new RecordingListener();
  private final List<Throwable> gaveUpCauses = new java.util.concurrent.CopyOnWriteArrayList<>();

  @AfterEach
  void tearDown() {
    proxy.close();
    peer.close();
  }

  private static String url(String hostAndPort) {
    return "ws://" + CREDENTIALS + hostAndPort + "/ws" + QUERY;
  }

  @Test
  void secretsInStreamUrlsNeverLeave() throws Exception {
    HandshakeCertificates untrusted =
        new HandshakeCertificates.Builder()
            .heldCertificate(
                new HeldCertificate.Builder().addSubjectAlternativeName("127.0.0.1").build())
            .build();
    List<StreamSnapshot> snapshots = new ArrayList<>();
    List<String> surfaced = new ArrayList<>();
    String prometheusText;
    String openMetricsText;
    String logs;
    try (CapturedLog log = new CapturedLog();
        WsPeer tls = WsPeer.https(untrusted.sslSocketFactory());
        RawServer silent = new RawServer(RawServer.Mode.NEVER_ANSWER)) {
      WsManager manager =
          TestHooks.random(TestHooks.fakeTime(WsManager.builder(), time), () -> 0.0)
              .name("secrets")
              .registry(registry)
              .perStreamMetrics(true)
              .reconnectPolicy(
                  ReconnectPolicy.builder().initialDelay(Duration.ofSeconds(1)).build())
              .build();
      RecordingListener gaveUp =
          new RecordingListener() {
            @Override
            public void onGaveUp(ManagedStream stream, FailureReason reason, Throwable cause) {
              super.onGaveUp(stream, reason, cause);
              gaveUpCauses.add(cause);
            }
          };

      peer.enqueue(new MockResponse.Builder().code(401).build());
      ManagedStream unauthorized =
          manager.open(
              spec("unauthorized", url("127.0.0.1:" + proxy.port())).listener(gaveUp).build());
      Await.until("401 gave up", () -> unauthorized.state() == StreamState.FAILED);

      ManagedStream reset = manager.open(spec("reset", url("127.0.0.1:" + proxy.port())).build());
      Await.until("open", () -> reset.state() == StreamState.OPEN);
      proxy.resetAll();
      Await.until("reset seen", () -> reset.state() == StreamState.BACKING_OFF);
      // the server side learns of the reset after the client: until it has, the one server
      // socket below could be this stale one instead of the next stream's
      Await.until("the server saw the reset", () -> peer.open.isEmpty());

      ManagedStream closedByServer =
          manager.open(spec("closed", url("127.0.0.1:" + proxy.port())).build());
      Await.until("open", () -> closedByServer.state() == StreamState.OPEN);
      Await.until("one server socket", () -> peer.open.size() == 1);
      peer.open.get(0).close(1011, "bye");
      Await.until("closed seen", () -> closedByServer.state() == StreamState.BACKING_OFF);

      ManagedStream refused = manager.open(spec("refused", url("127.0.0.1:" + deadPort())).build());
      ManagedStream unresolvable =
          manager.open(spec("unresolvable", url("nonexistent.invalid")).build());
      ManagedStream untrustedTls =
          manager.open(
              spec("untrusted", "wss://" + CREDENTIALS + "127.0.0.1:" + tls.port() + "/ws" + QUERY)
                  .build());
      ManagedStream timeout =
          manager.open(
              spec("timeout", url("127.0.0.1:" + silent.port()))
                  .connectTimeout(Duration.ofSeconds(5))
                  .build());
      Await.until("accepted", () -> !silent.accepted.isEmpty());
      time.advance(Duration.ofSeconds(5));
      Await.until(
          "every failure seen",
          () ->
              listener.failures.containsAll(
                      List.of(
                          FailureReason.CONNECTION_LOST, FailureReason.CLOSED_BY_SERVER,
                          FailureReason.CONNECT_ERROR, FailureReason.CONNECT_TIMEOUT))
                  && refused.state() == StreamState.BACKING_OFF
                  && unresolvable.state() == StreamState.BACKING_OFF
                  && untrustedTls.state() == StreamState.BACKING_OFF
                  && timeout.state() == StreamState.BACKING_OFF);
      Await.until(
          "three connect errors or more",
          () ->
              listener.failures.stream().filter(FailureReason.CONNECT_ERROR::equals).count() >= 3);
      time.advance(Duration.ofSeconds(1)); // retries, and their log lines

      snapshots.addAll(manager.streams());
      for (ManagedStream s :
          List.of(
              unauthorized, reset, closedByServer, refused, unresolvable, untrustedTls, timeout)) {
        surfaced.add(s.toString());
        snapshots.add(s.snapshot());
      }
      surfaced.add(manager.toString());
      surfaced.add(spec("x", url("h.example")).build().toString());
      prometheusText = scrape(false);
      openMetricsText = scrape(true);
      manager.close(Duration.ofSeconds(2));
      logs = log.text();
    }

    // the capture worked and saw the failures, with the URL masked
    assertThat(logs)
        .contains("gave up after 1 consecutive failures")
        .containsPattern(
            "WSManager retry: stream '[^']+' attempt \\d+ in \\d+ ms, reason connection_lost")
        .containsPattern("WSManager retry: .* reason connect_error")
        .containsPattern("WSManager retry: .* reason connect_timeout")
        .contains("ws://***@127.0.0.1:" + proxy.port() + "/ws?apikey=***&symbol=***");
    assertNoSecret("log output", logs);

    assertThat(prometheusText).contains("stream=\"refused\"");
    assertNoSecret("Prometheus text exposition", prometheusText);
    assertNoSecret("OpenMetrics text exposition", openMetricsText);

    assertThat(snapshots).hasSizeGreaterThanOrEqualTo(14);
    for (StreamSnapshot s : snapshots) {
      assertThat(s.url()).contains("apikey=***");
      assertNoSecret("snapshot " + s.id(), s.toString());
    }
    assertThat(snapshots).anySatisfy(s -> assertThat(s.lastError()).contains("HTTP 401"));
    for (String text : surfaced) {
      assertNoSecret("toString", text);
    }

    List<Throwable> causes = new ArrayList<>(listener.causes);
    causes.addAll(gaveUpCauses);
    assertThat(causes).hasSizeGreaterThanOrEqualTo(7);
    for (Throwable cause : causes) {
      assertNoSecret("cause handed to the listener", stackTrace(cause));
    }
  }

  @Test
  void invalidUrlsWithSecretsAreRejectedWithoutQuotingThem() {
    for (String bad :
        List.of(
            "http://" + CREDENTIALS + "h.example/ws" + QUERY,
            "ws://" + CREDENTIALS + "h example/ws" + QUERY,
            "ws:///ws" + QUERY,
            "wss://" + CREDENTIALS + "h.example:99999/ws" + QUERY)) {
      assertThatThrownBy(() -> StreamSpec.builder("bad", bad).build())
          .isInstanceOf(IllegalArgumentException.class)
          .satisfies(e -> assertNoSecret("message for " + bad, stackTrace(e)));
    }
    // OkHttp accepts (and encodes) what java.net.URI does not: accepted, and still masked
    StreamSpec odd =
        StreamSpec.builder("odd", "ws://" + CREDENTIALS + "h.example/ws" + QUERY + " x%zz").build();
    assertNoSecret("redacted url", odd.redactedUrl());
    assertNoSecret("spec", odd.toString());
  }

  private StreamSpec.Builder spec(String id, String url) {
    return StreamSpec.builder(id, url).listener(listener).pingInterval(Duration.ZERO);
  }

  private String scrape(boolean openMetrics) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    if (openMetrics) {
      OpenMetricsTextFormatWriter.create().write(out, registry.scrape());
    } else {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    }
    return out.toString(StandardCharsets.UTF_8);
  }

  private static void assertNoSecret(String where, String text) {
    for (String secret : SECRETS) {
      assertThat(text).as("%s must not contain %s", where, secret).doesNotContain(secret);
    }
  }

  private static String stackTrace(Throwable t) {
    StringWriter out = new StringWriter();
    t.printStackTrace(new PrintWriter(out));
    return out.toString();
  }

  private static int deadPort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }
}
