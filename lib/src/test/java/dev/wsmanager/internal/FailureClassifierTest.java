package dev.wsmanager.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.testing.CapturedLog;
import dev.wsmanager.testing.RawServer;
import java.io.EOFException;
import java.io.IOException;
import java.net.ConnectException;
import java.net.SocketTimeoutException;
import java.security.cert.CertificateException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLPeerUnverifiedException;
import okhttp3.OkHttpClient;
import okhttp3.Protocol;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import org.junit.jupiter.api.Test;

/** Failures are classified by type and connection phase, never by message text. */
class FailureClassifierTest {
  private static final ReconnectPolicy POLICY = ReconnectPolicy.defaults();
  private static final long NOW = 1_700_000_000_000L;

  private static FailureReason classify(Throwable t, boolean opened, boolean listenerBusy) {
    return FailureClassifier.classify(t, null, opened, listenerBusy, POLICY, NOW, "s").reason();
  }

  @Test
  void okHttpReportsAMissedPongAsASocketTimeoutOnTheOpenSocket() throws Exception {
    // Pinned to OkHttp's behaviour: if an upgrade changes the type, this fails the build.
    try (RawServer silent = new RawServer(RawServer.Mode.HANDSHAKE_THEN_SILENT)) {
      OkHttpClient client =
          new OkHttpClient.Builder()
              .pingInterval(100, TimeUnit.MILLISECONDS)
              .readTimeout(0, TimeUnit.MILLISECONDS)
              .build();
      CompletableFuture<Boolean> opened = new CompletableFuture<>();
      CompletableFuture<Throwable> failure = new CompletableFuture<>();
      client.newWebSocket(
          new Request.Builder().url(silent.url()).build(),
          new WebSocketListener() {
            @Override
            public void onOpen(WebSocket webSocket, Response response) {
              opened.complete(true);
            }

            @Override
            public void onFailure(WebSocket webSocket, Throwable t, Response response) {
              failure.complete(t);
            }
          });
      Throwable t = failure.get(10, TimeUnit.SECONDS);
      assertThat(opened).isCompletedWithValue(true);
      assertThat(t).isExactlyInstanceOf(SocketTimeoutException.class);
      assertThat(classify(t, true, false)).isEqualTo(FailureReason.PING_TIMEOUT);
      assertThat(classify(t, true, true)).isEqualTo(FailureReason.LISTENER_STALLED);
      client.dispatcher().executorService().shutdown();
    }
  }

  @Test
  void theMessageTextIsNeverConsulted() {
    assertThat(classify(new SocketTimeoutException("timeout"), true, false))
        .isEqualTo(FailureReason.PING_TIMEOUT);
    assertThat(classify(new SocketTimeoutException(null), true, false))
        .isEqualTo(FailureReason.PING_TIMEOUT);
    assertThat(classify(new IOException("sent ping but didn't receive pong"), true, false))
        .isEqualTo(FailureReason.CONNECTION_LOST);
    assertThat(classify(new EOFException(), true, false)).isEqualTo(FailureReason.CONNECTION_LOST);
  }

  @Test
  void beforeTheHandshakeTlsTimeoutsAndOtherErrorsAreToldApart() {
    assertThat(classify(new SSLHandshakeException("PKIX path building failed"), false, false))
        .isEqualTo(FailureReason.TLS_ERROR);
    assertThat(classify(new SSLPeerUnverifiedException("Hostname not verified"), false, false))
        .isEqualTo(FailureReason.TLS_ERROR);
    assertThat(
            classify(new IOException("wrapped", new CertificateException("expired")), false, false))
        .isEqualTo(FailureReason.TLS_ERROR);
    assertThat(classify(new SocketTimeoutException("connect timed out"), false, false))
        .isEqualTo(FailureReason.CONNECT_TIMEOUT);
    assertThat(classify(new ConnectException("Connection refused"), false, false))
        .isEqualTo(FailureReason.CONNECT_ERROR);
  }

  private static Response answer(int code, String retryAfter) {
    Response.Builder b =
        new Response.Builder()
            .request(new Request.Builder().url("http://h.example/").build())
            .protocol(Protocol.HTTP_1_1)
            .code(code)
            .message("x");
    if (retryAfter != null) {
      b.header("Retry-After", retryAfter);
    }
    return b.build();
  }

  @Test
  void retryAfterSaturatesAtTheCapInsteadOfWrapping() {
    long cap = FailureClassifier.MAX_RETRY_AFTER_MILLIS;
    assertThat(FailureClassifier.retryAfterMillis(answer(429, "7"), NOW, "s")).isEqualTo(7_000);
    assertThat(FailureClassifier.retryAfterMillis(answer(429, "999999"), NOW, "s")).isEqualTo(cap);
    assertThat(FailureClassifier.retryAfterMillis(answer(429, "9999999999999999"), NOW, "s"))
        .isEqualTo(cap);
    assertThat(
            FailureClassifier.retryAfterMillis(answer(503, "99999999999999999999999999"), NOW, "s"))
        .isEqualTo(cap);
    assertThat(FailureClassifier.retryAfterMillis(answer(503, "0"), NOW, "s")).isZero();
  }

  @Test
  void anUnparsableRetryAfterIsLoggedAndIgnored() {
    try (CapturedLog log = new CapturedLog()) {
      assertThat(FailureClassifier.retryAfterMillis(answer(503, "soon-ish"), NOW, "feed")).isZero();
      assertThat(log.text())
          .contains("WARN")
          .contains("stream 'feed': ignored Retry-After 'soon-ish' of an HTTP 503 answer");
    }
  }

  @Test
  void aRejectedHandshakeCarriesItsRetryAfterAndFatality() {
    Disconnect d =
        FailureClassifier.classify(null, answer(429, "30"), false, false, POLICY, NOW, "s");
    assertThat(d.reason()).isEqualTo(FailureReason.HANDSHAKE_REJECTED);
    assertThat(d.retryAfterMillis()).isEqualTo(30_000);
    assertThat(d.fatal()).isFalse();
    assertThat(
            FailureClassifier.classify(null, answer(401, null), false, false, POLICY, NOW, "s")
                .fatal())
        .isTrue();
  }
}
