package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.RawServer;
import dev.wsmanager.testing.RecordingListener;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import mockwebserver3.MockResponse;
import okhttp3.WebSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The stream state machine against a real WebSocket server on loopback, with time faked: every
 * backoff, timeout and retention is driven by {@link FakeTime#advance}, so nothing here waits for a
 * timer.
 */
class StreamLifecycleTest {
  private final FakeTime time = new FakeTime();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsPeer peer = new WsPeer();
  private final RecordingListener listener = new RecordingListener();
  private final WsManager manager =
      WsManager.builder()
          .name("lifecycle")
          .registry(registry)
          .clock(time)
          .scheduler(time)
          .random(() -> 0.0) // no jitter: delays equal the capped exponential
          .reconnectPolicy(
              ReconnectPolicy.builder()
                  .initialDelay(Duration.ofSeconds(1))
                  .maxDelay(Duration.ofSeconds(30))
                  .minUptime(Duration.ofSeconds(10))
                  .build())
          .build();

  @AfterEach
  void tearDown() {
    manager.close(Duration.ofSeconds(2));
    assertInvariants();
    peer.close();
  }

  private StreamSpec.Builder spec(String url) {
    return StreamSpec.builder("s1", url).listener(listener).pingInterval(Duration.ZERO);
  }

  private void awaitState(ManagedStream stream, StreamState state) {
    Await.until(stream.id() + " " + state, () -> stream.state() == state);
  }

  private void assertInvariants() {
    ManagerStats stats = manager.stats();
    assertThat(stats.streamCreations() - stats.streamCleanups())
        .as("live streams = creations - cleanups")
        .isEqualTo(manager.streams().size());
    long open = manager.streams().stream().filter(s -> s.state() == StreamState.OPEN).count();
    assertThat(stats.activeConnections()).as("active = number OPEN").isEqualTo(open);
  }

  @Test
  void opensSubscribesAndDeliversMessages() throws Exception {
    ManagedStream stream = manager.open(spec(peer.url()).subscribe("sub-1", "sub-2").build());
    awaitState(stream, StreamState.OPEN);
    assertThat(peer.awaitReceived()).isEqualTo("sub-1");
    assertThat(peer.awaitReceived()).isEqualTo("sub-2");

    peer.broadcast("tick-1");
    Await.until("tick delivered", () -> listener.texts.contains("tick-1"));
    assertThat(stream.send("hello")).isTrue();
    assertThat(peer.awaitReceived()).isEqualTo("hello");

    Await.until("open event", () -> listener.events.contains("open"));
    assertThat(listener.events).startsWith("CONNECTING->OPEN", "open");
    ManagerStats stats = manager.stats();
    assertThat(stats.activeConnections()).isEqualTo(1);
    assertThat(stats.activeConnectionsHwm()).isEqualTo(1);
    assertThat(stats.connectionAttempts()).isEqualTo(1);
    assertThat(stats.messagesReceived()).isEqualTo(1);
    assertThat(stats.messagesSent()).isEqualTo(3);
    StreamSnapshot snapshot = stream.snapshot();
    assertThat(snapshot.openedAt())
        .isEqualTo(time.instant().truncatedTo(java.time.temporal.ChronoUnit.MILLIS));
    assertThat(snapshot.lastMessageAt()).isNotNull();
    assertThat(snapshot.messagesReceived()).isEqualTo(1);
    assertInvariants();
  }

  @Test
  void aNormalServerCloseReconnectsAndResubscribes() throws Exception {
    AtomicInteger hookCalls = new AtomicInteger();
    ManagedStream stream =
        manager.open(
            spec(peer.url())
                .subscribe(() -> List.of("sub#" + hookCalls.incrementAndGet()))
                .build());
    awaitState(stream, StreamState.OPEN);
    assertThat(peer.awaitReceived()).isEqualTo("sub#1");

    peer.awaitOpen(0).close(1001, "going away for rotation");
    awaitState(stream, StreamState.BACKING_OFF);
    assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(1));
    assertThat(manager.stats().totalConnectionFailures()).isZero();
    assertThat(manager.stats().retries()).isEqualTo(1);
    assertInvariants();

    time.advance(Duration.ofSeconds(1));
    awaitState(stream, StreamState.OPEN);
    assertThat(peer.awaitReceived()).isEqualTo("sub#2");
    assertThat(hookCalls).hasValue(2);
    assertThat(manager.stats().connectionAttempts()).isEqualTo(2);
    peer.awaitUpgrades(2);
    assertInvariants();
  }

  @Test
  void anAbnormalServerCloseIsCountedAsClosedByServer() {
    ManagedStream stream = manager.open(spec(peer.url()).build());
    awaitState(stream, StreamState.OPEN);
    peer.awaitOpen(0).close(1011, "internal error");
    awaitState(stream, StreamState.BACKING_OFF);
    Await.until("failure event", () -> listener.failures.contains(FailureReason.CLOSED_BY_SERVER));
    assertThat(manager.stats().connectionFailures())
        .containsEntry(FailureReason.CLOSED_BY_SERVER, 1L);
    assertThat(stream.snapshot().lastError()).startsWith("closed_by_server: ").contains("1011");
  }

  @Test
  void backoffGrowsWhileConnectionsDropAtOnceAndResetsAfterMinimumUptime() {
    try (RawServer raw = new RawServer(RawServer.Mode.HANDSHAKE_THEN_SILENT)) {
      ManagedStream stream = manager.open(spec(raw.url()).build());
      awaitState(stream, StreamState.OPEN);

      // reset at once, three times: 1 s, 2 s, 4 s
      for (int i = 0; i < 3; i++) {
        raw.reset(i);
        awaitState(stream, StreamState.BACKING_OFF);
        assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(1L << i));
        time.advance(Duration.ofSeconds(1L << i));
        awaitState(stream, StreamState.OPEN);
      }
      assertThat(stream.snapshot().consecutiveFailures()).isEqualTo(3);

      // stays up for the minimum uptime: the next drop starts again at 1 s
      time.advance(Duration.ofSeconds(10));
      raw.reset(3);
      awaitState(stream, StreamState.BACKING_OFF);
      assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(1));
      assertThat(manager.stats().connectionFailures())
          .containsEntry(FailureReason.CONNECTION_LOST, 4L);
      assertThat(manager.stats().retries()).isEqualTo(4);
      stream.close();
    }
  }

  @Test
  void fatalHandshakeStatusesFailWithoutRetryAndAreCleanedUpAfterRetention() {
    for (int status : new int[] {401, 403, 404}) {
      peer.enqueue(new MockResponse.Builder().code(status).build());
      RecordingListener l = new RecordingListener();
      ManagedStream stream =
          manager.open(StreamSpec.builder("fatal-" + status, peer.url()).listener(l).build());
      awaitState(stream, StreamState.FAILED);
      Await.until("gave up", () -> l.events.contains("gaveUp:handshake_rejected"));
      assertThat(l.count("gaveUp:handshake_rejected")).isEqualTo(1);
      assertThat(stream.snapshot().lastError()).contains("HTTP " + status);
    }
    assertThat(manager.stats().connectionAttempts()).isEqualTo(3);
    assertThat(manager.stats().retries()).isZero();
    assertThat(manager.stats().streamsByState()).containsEntry(StreamState.FAILED, 3L);
    assertThat(manager.streams()).hasSize(3); // still listed for operators
    assertInvariants();

    time.advance(Duration.ofMinutes(10));
    Await.until("cleaned up", () -> manager.streams().isEmpty());
    assertThat(manager.stats().streamCleanups()).isEqualTo(3);
    assertThat(manager.stats().connectionAttempts()).isEqualTo(3);
  }

  @Test
  void aFatalStatusPredicateCanBeOverridden() {
    peer.enqueue(new MockResponse.Builder().code(401).build());
    ManagedStream stream =
        manager.open(
            spec(peer.url())
                .reconnectPolicy(ReconnectPolicy.builder().fatalHandshakeStatus(s -> false).build())
                .build());
    awaitState(stream, StreamState.BACKING_OFF);
    time.advance(Duration.ofSeconds(1));
    awaitState(stream, StreamState.OPEN);
  }

  @Test
  void retryAfterHoldsTheNextAttemptBackFor429And503() {
    peer.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "7").build());
    peer.enqueue(new MockResponse.Builder().code(503).build());
    ManagedStream stream = manager.open(spec(peer.url()).build());
    awaitState(stream, StreamState.BACKING_OFF);
    assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(7));
    time.advance(Duration.ofMillis(6_999));
    assertThat(peer.requests).hasSize(1);
    time.advance(Duration.ofMillis(1));
    Await.until(
        "second attempt answered",
        () ->
            stream.state() == StreamState.BACKING_OFF && manager.stats().connectionAttempts() == 2);
    assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(2)); // no header: backoff
    time.advance(Duration.ofSeconds(2));
    awaitState(stream, StreamState.OPEN);
    assertThat(manager.stats().connectionFailures())
        .containsEntry(FailureReason.HANDSHAKE_REJECTED, 2L);
  }

  @Test
  void maxAttemptsGivesUpAfterThatManyConsecutiveFailures() {
    for (int i = 0; i < 3; i++) {
      peer.enqueue(new MockResponse.Builder().code(500).build());
    }
    ManagedStream stream =
        manager.open(
            spec(peer.url())
                .reconnectPolicy(ReconnectPolicy.builder().maxAttempts(3).build())
                .build());
    awaitState(stream, StreamState.BACKING_OFF);
    time.advance(Duration.ofSeconds(1));
    Await.until(
        "2 attempts",
        () ->
            manager.stats().connectionAttempts() == 2 && stream.state() == StreamState.BACKING_OFF);
    time.advance(Duration.ofSeconds(2));
    awaitState(stream, StreamState.FAILED);
    assertThat(manager.stats().connectionAttempts()).isEqualTo(3);
    Await.until("gave up", () -> listener.count("gaveUp:handshake_rejected") == 1);
  }

  @Test
  void connectionRefusedBacksOffAsConnectError() throws Exception {
    int port;
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName("127.0.0.1"))) {
      port = s.getLocalPort();
    }
    ManagedStream stream = manager.open(spec("ws://127.0.0.1:" + port + "/ws").build());
    for (int i = 0; i < 4; i++) {
      Await.until(
          "attempt " + (i + 1) + " failed",
          () -> stream.state() == StreamState.BACKING_OFF && time.pendingCount() == 1);
      assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(1L << i));
      time.advance(Duration.ofSeconds(1L << i));
    }
    Await.until(
        "5th failure",
        () -> manager.stats().connectionFailures().get(FailureReason.CONNECT_ERROR) == 5);
    // callbacks are delivered on their own thread, after the state changed
    Await.until("5 onFailure callbacks", () -> listener.failures.size() == 5);
    assertThat(listener.failures).containsOnly(FailureReason.CONNECT_ERROR);
  }

  @Test
  void aServerThatNeverAnswersTheUpgradeHitsTheConnectTimeout() {
    try (RawServer raw = new RawServer(RawServer.Mode.NEVER_ANSWER)) {
      ManagedStream stream =
          manager.open(spec(raw.url()).connectTimeout(Duration.ofSeconds(5)).build());
      Await.until("accepted", () -> !raw.accepted.isEmpty());
      time.advance(Duration.ofMillis(4_999));
      assertThat(stream.state()).isEqualTo(StreamState.CONNECTING);
      time.advance(Duration.ofMillis(1));
      assertThat(stream.state()).isEqualTo(StreamState.BACKING_OFF);
      assertThat(manager.stats().connectionFailures())
          .containsEntry(FailureReason.CONNECT_TIMEOUT, 1L);
      stream.close();
    }
  }

  @Test
  void aStalledUpgradeIsEndedByTheConnectTimerWhichClosesItsSocket() throws Exception {
    // The client sets no OkHttp read timeout: the stream's own timer must end the handshake and
    // release the socket, or a server that never answers would hold it (and a thread) forever.
    try (RawServer raw = new RawServer(RawServer.Mode.NEVER_ANSWER)) {
      ManagedStream stream =
          manager.open(spec(raw.url()).connectTimeout(Duration.ofSeconds(2)).build());
      Await.until("accepted", () -> !raw.accepted.isEmpty());
      time.advance(Duration.ofMillis(1_999));
      assertThat(stream.state()).isEqualTo(StreamState.CONNECTING);
      time.advance(Duration.ofMillis(1));
      assertThat(stream.state()).isEqualTo(StreamState.BACKING_OFF);
      Await.until("the failure delivered", () -> !listener.failures.isEmpty());
      assertThat(listener.failures).containsExactly(FailureReason.CONNECT_TIMEOUT);

      Socket serverSide = raw.accepted.get(0);
      serverSide.setSoTimeout((int) Await.DEFAULT.toMillis());
      InputStream in = serverSide.getInputStream();
      while (in.read() >= 0) {
        // the upgrade request, then end of stream once the client has closed its socket
      }
      stream.close();
    }
  }

  @Test
  void anOpenConnectionHasNoReadTimeout() {
    // OkHttp keeps a client's read timeout on the socket after the upgrade and applies it to every
    // read after a frame's first byte. Pings and the idle timeout are off and the fake clock stands
    // still, so a frame whose rest never comes could only be ended by such a read timeout (formerly
    // the connect timeout + 1 s, here 1.1 s).
    try (RawServer raw = new RawServer(RawServer.Mode.HANDSHAKE_THEN_PARTIAL_FRAME)) {
      ManagedStream stream =
          manager.open(spec(raw.url()).connectTimeout(Duration.ofMillis(100)).build());
      awaitState(stream, StreamState.OPEN);
      long until = System.nanoTime() + 2_500_000_000L;
      Await.until(
          "a failure, or 2.5 s without one",
          () -> !listener.failures.isEmpty() || System.nanoTime() - until > 0);
      assertThat(listener.failures).isEmpty();
      assertThat(stream.state()).isEqualTo(StreamState.OPEN);
      stream.close();
    }
  }

  @Test
  void aPeerThatStopsAnsweringPingsIsDetected() {
    try (RawServer raw = new RawServer(RawServer.Mode.HANDSHAKE_THEN_SILENT)) {
      ManagedStream stream =
          manager.open(spec(raw.url()).pingInterval(Duration.ofMillis(100)).build());
      Await.until("ping timeout", () -> listener.failures.contains(FailureReason.PING_TIMEOUT));
      assertThat(stream.state()).isEqualTo(StreamState.BACKING_OFF);
      assertThat(manager.stats().connectionFailures())
          .containsEntry(FailureReason.PING_TIMEOUT, 1L);
      stream.close();
    }
  }

  @Test
  void aSilentConnectionIsFailedAfterTheIdleTimeout() throws Exception {
    ManagedStream stream =
        manager.open(spec(peer.url()).idleTimeout(Duration.ofSeconds(30)).build());
    awaitState(stream, StreamState.OPEN);
    time.advance(Duration.ofSeconds(29));
    peer.broadcast("keeps it alive");
    Await.until("message", () -> listener.texts.size() == 1);
    time.advance(Duration.ofSeconds(29));
    assertThat(stream.state()).isEqualTo(StreamState.OPEN);
    time.advance(Duration.ofSeconds(1));
    assertThat(stream.state()).isEqualTo(StreamState.BACKING_OFF);
    assertThat(manager.stats().connectionFailures()).containsEntry(FailureReason.IDLE_TIMEOUT, 1L);
    Await.until("server side closed", () -> peer.open.isEmpty());
    time.advance(Duration.ofSeconds(1));
    awaitState(stream, StreamState.OPEN);
  }

  @Test
  void aThrowingListenerIsCountedAndNeverFatal() throws Exception {
    StreamListener angry =
        new StreamListener() {
          @Override
          public void onOpen(ManagedStream stream) {
            throw new IllegalStateException("onOpen");
          }

          @Override
          public void onText(ManagedStream stream, String text) {
            throw new IllegalStateException("onText");
          }

          @Override
          public void onStateChange(ManagedStream stream, StreamState from, StreamState to) {
            throw new IllegalStateException("onStateChange");
          }

          @Override
          public void onFailure(ManagedStream stream, FailureReason reason, Throwable cause) {
            throw new IllegalStateException("onFailure");
          }

          @Override
          public void onClosed(ManagedStream stream) {
            throw new IllegalStateException("onClosed");
          }
        };
    ManagedStream stream =
        manager.open(
            StreamSpec.builder("angry", peer.url())
                .listener(angry)
                .subscribe(
                    () -> {
                      throw new IllegalStateException("hook");
                    })
                .build());
    awaitState(stream, StreamState.OPEN);
    peer.broadcast("a");
    peer.broadcast("b");
    Await.until("messages counted", () -> manager.stats().messagesReceived() == 2);
    peer.awaitOpen(0).close(1011, "boom");
    awaitState(stream, StreamState.BACKING_OFF);
    time.advance(Duration.ofSeconds(1));
    awaitState(stream, StreamState.OPEN);
    stream.close();
    Await.until("closed", () -> stream.state() == StreamState.CLOSED);
    // hook x2, onStateChange x5 (C->O, O->B, B->C, C->O, O->CLOSING, CLOSING->CLOSED = 6),
    // onOpen x2, onText x2, onFailure x1, onClosed x1
    Await.until("errors counted", () -> manager.stats().listenerErrors() == 2 + 6 + 2 + 2 + 1 + 1);
  }

  @Test
  void closeSendsNormalClosureAndCleansUpExactlyOnce() throws Exception {
    ManagedStream stream = manager.open(spec(peer.url()).build());
    awaitState(stream, StreamState.OPEN);
    stream.close();
    stream.close();
    assertThat(peer.awaitCloseCode()).isEqualTo(1000);
    awaitState(stream, StreamState.CLOSED);
    Await.until("onClosed", () -> listener.events.contains("closed"));
    assertThat(listener.events).containsSubsequence("OPEN->CLOSING", "CLOSING->CLOSED", "closed");
    assertThat(listener.count("closed")).isEqualTo(1);
    assertThat(manager.streams()).isEmpty();
    assertThat(manager.stats().streamCleanups()).isEqualTo(1);
    assertThat(stream.send("late")).isFalse();
    Await.until("server socket closed", () -> peer.open.isEmpty());
  }

  @Test
  void closeWhileBackingOffStopsReconnecting() {
    try (RawServer raw = new RawServer(RawServer.Mode.HANDSHAKE_THEN_SILENT)) {
      ManagedStream stream = manager.open(spec(raw.url()).build());
      awaitState(stream, StreamState.OPEN);
      raw.reset(0);
      awaitState(stream, StreamState.BACKING_OFF);
      stream.close();
      assertThat(stream.state()).isEqualTo(StreamState.CLOSED);
      assertThat(time.pendingCount()).isZero();
      time.advance(Duration.ofMinutes(5));
      assertThat(manager.stats().connectionAttempts()).isEqualTo(1);
      assertThat(raw.accepted).hasSize(1);
    }
  }

  @Test
  void closeWhileConnectingCancelsTheAttempt() {
    try (RawServer raw = new RawServer(RawServer.Mode.NEVER_ANSWER)) {
      ManagedStream stream = manager.open(spec(raw.url()).build());
      Await.until("accepted", () -> !raw.accepted.isEmpty());
      stream.close();
      assertThat(stream.state()).isEqualTo(StreamState.CLOSED);
      time.advance(Duration.ofMinutes(5));
      assertThat(manager.stats().connectionAttempts()).isEqualTo(1);
      assertThat(manager.stats().totalConnectionFailures()).isZero();
    }
  }

  @Test
  void aPeerThatNeverAnswersTheCloseIsCancelledAfterTheCloseTimeout() {
    try (RawServer raw = new RawServer(RawServer.Mode.HANDSHAKE_THEN_SILENT)) {
      ManagedStream stream = manager.open(spec(raw.url()).build());
      awaitState(stream, StreamState.OPEN);
      stream.close();
      assertThat(stream.state()).isEqualTo(StreamState.CLOSING);
      time.advance(WsManager.DEFAULT_CLOSE_TIMEOUT);
      assertThat(stream.state()).isEqualTo(StreamState.CLOSED);
      assertThat(manager.streams()).isEmpty();
    }
  }

  @Test
  void sendAppliesBackPressureInsteadOfLettingOkHttpCloseTheConnection() {
    try (RawServer raw = new RawServer(RawServer.Mode.HANDSHAKE_THEN_SILENT)) {
      ManagedStream stream = manager.open(spec(raw.url()).maxQueuedBytes(64 * 1024).build());
      awaitState(stream, StreamState.OPEN);
      String kib = "x".repeat(1024);
      int accepted = 0;
      boolean refused = false;
      for (int i = 0; i < 200_000 && !refused; i++) { // socket buffers fill first, then the queue
        if (stream.send(kib)) {
          accepted++;
        } else {
          refused = true;
        }
      }
      assertThat(refused).as("send() eventually refuses").isTrue();
      assertThat(stream.queuedBytes()).isLessThanOrEqualTo(64 * 1024);
      assertThat(stream.state()).isEqualTo(StreamState.OPEN);
      assertThat(manager.stats().messagesSent()).isEqualTo(accepted);
      stream.close();
    }
  }

  @Test
  void aSecondStreamWithTheSameIdIsRejected() {
    manager.open(spec(peer.url()).build());
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> manager.open(spec(peer.url()).build()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "a stream with id 's1' is already open in manager 'lifecycle'; close it first"
                + " (closeAsync() says when its id is free) or choose another id");
    assertThat(manager.stats().streamCreations()).isEqualTo(1);
  }

  @Test
  void serverSocketsAreUnusedAfterClose() {
    ManagedStream stream = manager.open(spec(peer.url()).build());
    awaitState(stream, StreamState.OPEN);
    WebSocket serverSide = peer.awaitOpen(0);
    manager.close(Duration.ofSeconds(2));
    assertThat(stream.state()).isEqualTo(StreamState.CLOSED);
    Await.until("server side closed", () -> !peer.open.contains(serverSide));
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> manager.open(spec(peer.url()).build()))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("manager 'lifecycle' is closed; open streams on a manager that is running");
  }
}
