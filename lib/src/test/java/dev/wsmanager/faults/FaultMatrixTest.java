package dev.wsmanager.faults;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.ManagerStats;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.TestHooks;
import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.FaultProxy;
import dev.wsmanager.testing.RecordingListener;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.net.UnknownHostException;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import java.util.function.UnaryOperator;
import javax.net.ssl.SSLException;
import mockwebserver3.MockResponse;
import okhttp3.WebSocket;
import okhttp3.internal.ws.RealWebSocket;
import okhttp3.tls.HandshakeCertificates;
import okhttp3.tls.HeldCertificate;
import okio.ByteString;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInfo;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * The fault matrix of {@code docs/reliability.md}: one test per row, each against a real peer on
 * loopback (a {@link WsPeer}, reached through a {@link FaultProxy} where the fault is the
 * network's).
 *
 * <p>Every row asserts the state the stream ends in, the {@code reason} counted, the bound within
 * which it recovers or gives up, and that the subscribe hook ran once per open. After every row,
 * {@link #tearDown} checks the invariants while running (live streams = creations - cleanups,
 * active connections = streams OPEN), closes the manager and checks that nothing is left: no
 * stream, no connection on the server side or in the proxy, no manager thread, no metric series.
 *
 * <p>Time is faked wherever the manager's own timers decide (backoff, connect and idle timeouts,
 * retention, admission). OkHttp's ping timing is real: rows that need pongs to arrive give each one
 * a whole {@link #PONG_DEADLINE}, far more than a loopback round trip takes on a busy machine.
 * Figures a row measures are printed with the prefix {@code [fault-matrix]}.
 */
@TestMethodOrder(MethodOrderer.MethodName.class)
class FaultMatrixTest {
  /** No jitter unless a row supplies randomness: delays are then exactly the capped exponential. */
  private static final ReconnectPolicy POLICY =
      ReconnectPolicy.builder()
          .initialDelay(Duration.ofSeconds(1))
          .maxDelay(Duration.ofSeconds(30))
          .multiplier(2.0)
          .jitter(0.5)
          .minUptime(Duration.ofSeconds(10))
          .build();

  private static final Duration CONNECT_TIMEOUT = Duration.ofSeconds(5);

  /**
   * The ping interval (and so the pong deadline) of rows in which pongs must keep arriving: OkHttp
   * times pings on real time, and a shorter deadline is missed when the machine is busy.
   */
  private static final Duration PONG_DEADLINE = Duration.ofSeconds(1);

  private final FakeTime time = new FakeTime();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsPeer peer = new WsPeer();
  private final FaultProxy proxy = new FaultProxy(peer.port());
  private final AtomicInteger hookCalls = new AtomicInteger();
  private RecordingListener listener = new RecordingListener();
  private String name;
  private WsManager manager;

  @BeforeEach
  void name(TestInfo info) {
    name = "faults-" + info.getTestMethod().orElseThrow().getName().substring(0, 5);
  }

  @AfterEach
  void tearDown() {
    try {
      if (manager != null) {
        proxy.blackhole(false);
        assertInvariants();
        manager.close(Duration.ofSeconds(5));
        assertNothingLeft();
      }
    } finally {
      proxy.close();
      peer.close();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rows

  @Test
  void row01NormalClose1000And1001Reconnects() throws Exception {
    start();
    ManagedStream s = manager.open(spec("s", proxy.url()).build());
    awaitState(s, StreamState.OPEN);
    for (int code : new int[] {1000, 1001}) {
      time.advance(Duration.ofSeconds(10)); // up long enough: like a 24 h rotation
      serverSocket().close(code, "rotation");
      awaitState(s, StreamState.BACKING_OFF);
      assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(1));
      assertThat(peer.awaitCloseCode()).as("client answers with 1000").isEqualTo(1000);
      // the server side learns of the close after the client: until it has, serverSocket()
      // would still find this socket instead of the next one
      Await.until("the server side closed", () -> peer.open.isEmpty());
      time.advance(Duration.ofSeconds(1));
      awaitState(s, StreamState.OPEN);
    }
    ManagerStats stats = manager.stats();
    assertThat(stats.totalConnectionFailures()).as("a normal close is no failure").isZero();
    assertThat(listener.failures).isEmpty();
    assertThat(stats.retries()).isEqualTo(2);
    assertThat(stats.connectionAttempts()).isEqualTo(3);
    assertThat(s.snapshot().lastError()).isNull();
    assertHookRanOncePerOpen(3);
    peer.awaitUpgrades(3);
  }

  @Test
  void row02AbnormalClose1011ReconnectsAsClosedByServer() {
    start();
    ManagedStream s = manager.open(spec("s", proxy.url()).build());
    awaitState(s, StreamState.OPEN);
    serverSocket().close(1011, "internal error");
    awaitState(s, StreamState.BACKING_OFF);
    assertFailures(Map.of(FailureReason.CLOSED_BY_SERVER, 1L));
    Await.until("onFailure", () -> listener.failures.size() == 1);
    assertThat(listener.causes.get(0)).hasMessageContaining("1011");
    assertThat(s.snapshot().lastError()).startsWith("closed_by_server: ").contains("1011");
    assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(1));
    time.advance(Duration.ofSeconds(1));
    awaitState(s, StreamState.OPEN);
    assertHookRanOncePerOpen(2);
  }

  @Test
  void row03TcpResetMidStreamReconnectsAsConnectionLost() {
    start();
    ManagedStream s = manager.open(spec("s", proxy.url()).build());
    awaitState(s, StreamState.OPEN);
    serverSocket().send("tick");
    Await.until("tick", () -> listener.texts.contains("tick"));

    assertThat(proxy.resetAll()).isEqualTo(1);
    awaitState(s, StreamState.BACKING_OFF);
    assertFailures(Map.of(FailureReason.CONNECTION_LOST, 1L));
    Await.until("server side saw the reset", () -> peer.open.isEmpty());
    assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(1));
    time.advance(Duration.ofSeconds(1));
    awaitState(s, StreamState.OPEN);
    serverSocket().send("tock");
    Await.until("tock", () -> listener.texts.contains("tock"));
    assertHookRanOncePerOpen(2);
  }

  @Test
  void row04HalfOpenPeerIsDetectedByThePongDeadline() {
    Duration ping = PONG_DEADLINE;
    start();
    ManagedStream s = manager.open(spec("s", proxy.url()).pingInterval(ping).build());
    awaitState(s, StreamState.OPEN);
    RealWebSocket server = (RealWebSocket) serverSocket();
    Await.until("a ping answered", () -> server.receivedPingCount() >= 1);

    long start = System.nanoTime();
    proxy.blackhole(true); // the peer stops reading and writing; no FIN, no RST
    Await.until("ping timeout", () -> !listener.failures.isEmpty());
    long detectedMillis = (System.nanoTime() - start) / 1_000_000;
    report(
        "row 4: half-open detected after %d ms with a %d ms ping interval",
        detectedMillis, ping.toMillis());
    assertThat(detectedMillis)
        .as("detected within two intervals of the last pong, plus scheduling slack")
        .isLessThan(2 * ping.toMillis() + 5_000);
    awaitState(s, StreamState.BACKING_OFF);
    assertFailures(Map.of(FailureReason.PING_TIMEOUT, 1L));

    proxy.blackhole(false);
    Await.until("the stale server side closed", () -> peer.open.isEmpty());
    time.advance(Duration.ofSeconds(1));
    awaitState(s, StreamState.OPEN);
    assertHookRanOncePerOpen(2);
  }

  @Test
  void row05PongsButNoDataFailsAsIdleTimeout() {
    start();
    ManagedStream s =
        manager.open(
            spec("s", proxy.url())
                .pingInterval(PONG_DEADLINE)
                .idleTimeout(Duration.ofSeconds(30))
                .build());
    awaitState(s, StreamState.OPEN);
    RealWebSocket server = (RealWebSocket) serverSocket();
    Await.until("two pings answered", () -> server.receivedPingCount() >= 2);
    assertThat(listener.failures).as("pongs keep arriving").isEmpty();

    time.advance(Duration.ofMillis(29_999));
    assertThat(s.state()).isEqualTo(StreamState.OPEN);
    time.advance(Duration.ofMillis(1));
    assertThat(s.state()).isEqualTo(StreamState.BACKING_OFF);
    assertFailures(Map.of(FailureReason.IDLE_TIMEOUT, 1L));
    Await.until("server side closed", () -> peer.open.isEmpty());
    time.advance(Duration.ofSeconds(1));
    awaitState(s, StreamState.OPEN);
    assertHookRanOncePerOpen(2);
  }

  @Test
  void row06Handshake401403404FailsWithoutRetry() {
    start();
    List<ManagedStream> streams = new ArrayList<>();
    for (int status : new int[] {401, 403, 404}) {
      peer.enqueue(new MockResponse.Builder().code(status).build());
      ManagedStream s = manager.open(spec("fatal-" + status, proxy.url()).build());
      streams.add(s);
      awaitState(s, StreamState.FAILED);
      assertThat(s.snapshot().attempts()).isEqualTo(1);
      assertThat(s.snapshot().lastError()).contains("HTTP " + status);
    }
    Await.until("gave up x3", () -> listener.count("gaveUp:handshake_rejected") == 3);
    assertFailures(Map.of(FailureReason.HANDSHAKE_REJECTED, 3L));
    assertThat(manager.stats().retries()).isZero();
    assertThat(manager.stats().streamsByState()).containsEntry(StreamState.FAILED, 3L);
    assertThat(time.pendingDelays())
        .as("only the retention timers")
        .containsOnly(Duration.ofMinutes(10));

    time.advance(Duration.ofMinutes(9));
    assertThat(peer.requests).as("no retry").hasSize(3);
    assertThat(streams).allMatch(s -> s.state() == StreamState.FAILED);
    assertInvariants();

    time.advance(Duration.ofMinutes(1)); // the failed-stream retention elapses
    assertThat(streams).allMatch(s -> s.state() == StreamState.CLOSED);
    assertThat(manager.streams()).isEmpty();
    assertThat(manager.stats().streamCleanups()).isEqualTo(3);
    Await.until("onClosed x3", () -> listener.count("closed") == 3);
    assertThat(manager.stats().connectionAttempts()).isEqualTo(3);
    assertHookRanOncePerOpen(0);
  }

  @Test
  void row07RetryAfterOn429And503HoldsTheNextAttemptBack() {
    start();
    Instant dateTarget = time.instant().plusSeconds(7 + 20).truncatedTo(ChronoUnit.SECONDS);
    String httpDate =
        DateTimeFormatter.RFC_1123_DATE_TIME.format(dateTarget.atOffset(ZoneOffset.UTC));
    peer.enqueue(new MockResponse.Builder().code(429).addHeader("Retry-After", "7").build());
    peer.enqueue(new MockResponse.Builder().code(503).addHeader("Retry-After", httpDate).build());
    ManagedStream s = manager.open(spec("s", proxy.url()).build());

    // delta-seconds form: 7 s, longer than the 1 s backoff
    awaitState(s, StreamState.BACKING_OFF);
    assertThat(time.pendingDelays()).containsExactly(Duration.ofSeconds(7));
    time.advance(Duration.ofMillis(6_999));
    assertThat(peer.requests).as("not before Retry-After").hasSize(1);
    time.advance(Duration.ofMillis(1));
    Await.until(
        "second attempt answered",
        () -> manager.stats().connectionAttempts() == 2 && s.state() == StreamState.BACKING_OFF);

    // HTTP-date form: 20 s from the second attempt, longer than the 2 s backoff
    Duration expected = Duration.ofMillis(dateTarget.toEpochMilli() - time.millis());
    assertThat(expected).isEqualTo(Duration.ofSeconds(20));
    assertThat(time.pendingDelays()).containsExactly(expected);
    time.advance(expected.minusMillis(1));
    assertThat(peer.requests).as("not before the Retry-After date").hasSize(2);
    time.advance(Duration.ofMillis(1));
    awaitState(s, StreamState.OPEN);
    report(
        "row 7: Retry-After 7 (seconds) held the retry 7000 ms; Retry-After '%s' held it %d ms",
        httpDate, expected.toMillis());
    assertFailures(Map.of(FailureReason.HANDSHAKE_REJECTED, 2L));
    assertHookRanOncePerOpen(1);
  }

  @Test
  void row08ConnectionRefusedBacksOffWithinJitterBounds() {
    Random random = new Random(8);
    start(b -> TestHooks.random(b, random::nextDouble));
    proxy.refuse();
    ManagedStream s = manager.open(spec("s", proxy.url()).build());
    List<Long> delays = new ArrayList<>();
    List<Long> bases = new ArrayList<>();
    int failures = 8;
    for (int n = 1; n <= failures; n++) {
      int attempt = n;
      Await.until(
          "attempt " + n + " refused",
          () ->
              failureCount(FailureReason.CONNECT_ERROR) == attempt
                  && s.state() == StreamState.BACKING_OFF
                  && time.pendingCount() == 1);
      long delay = time.pendingDelays().get(0).toMillis();
      long base = Math.min(30_000L, 1_000L << (n - 1));
      assertThat(delay)
          .as("delay %d within [base * (1 - jitter), base]", n)
          .isBetween(base / 2, base);
      delays.add(delay);
      bases.add(base);
      if (n == failures) {
        proxy.accept(); // the server comes back
      }
      time.advance(Duration.ofMillis(delay));
    }
    awaitState(s, StreamState.OPEN);
    report("row 8: bases %s ms, jittered delays %s ms", bases, delays);
    assertThat(delays).as("jitter is applied").anySatisfy(d -> assertThat(d).isNotIn(bases));
    assertFailures(Map.of(FailureReason.CONNECT_ERROR, (long) failures));
    assertThat(manager.stats().connectionAttempts()).isEqualTo(failures + 1);
    assertHookRanOncePerOpen(1);
  }

  /** Regression: admission slots used to be reserved at the end of the backoff, ahead of time. */
  @Test
  void row08OneStreamsLongBackoffDoesNotHoldBackTheOthers() throws Exception {
    start();
    int deadPort;
    try (java.net.ServerSocket s =
        new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      deadPort = s.getLocalPort();
    }
    ManagedStream dead = manager.open(spec("dead", "ws://127.0.0.1:" + deadPort + "/ws").build());
    int attempts = driveBackoffFor(dead, Duration.ofSeconds(31));
    assertThat(attempts).isEqualTo(6);
    assertThat(time.pendingDelays())
        .as("dead retries in 30 s")
        .containsExactly(Duration.ofSeconds(30));

    ManagedStream healthy = manager.open(spec("healthy", proxy.url()).build());
    awaitState(healthy, StreamState.OPEN); // at once: fake time does not move
    serverSocket().close(1011, "drop");
    awaitState(healthy, StreamState.BACKING_OFF);
    time.advance(Duration.ofSeconds(1)); // its own 1 s backoff, not the dead stream's 30 s
    awaitState(healthy, StreamState.OPEN);
    assertThat(dead.snapshot().attempts()).isEqualTo(6);
    dead.close();
    assertHookRanOncePerOpen(2);
  }

  @Test
  void row09UnresolvableHostFailsAsConnectErrorAndBacksOff() {
    start();
    ManagedStream s = manager.open(spec("s", "ws://nonexistent.invalid/ws").build());
    int attempts = driveBackoffFor(s, Duration.ofSeconds(60));
    assertThat(attempts).as("attempts at 0, 1, 3, 7, 15 and 31 s").isEqualTo(6);
    assertFailures(Map.of(FailureReason.CONNECT_ERROR, 6L));
    assertThat(listener.causes).allMatch(c -> c instanceof UnknownHostException);
    s.close();
    assertThat(s.state()).isEqualTo(StreamState.CLOSED);
    assertHookRanOncePerOpen(0);
  }

  @Test
  void row10UntrustedCertificateFailsAsTlsErrorWithoutAHotLoop() {
    HeldCertificate certificate =
        new HeldCertificate.Builder()
            .commonName("localhost")
            .addSubjectAlternativeName("127.0.0.1")
            .addSubjectAlternativeName("localhost")
            .build();
    HandshakeCertificates serverCertificates =
        new HandshakeCertificates.Builder().heldCertificate(certificate).build();
    start(); // the manager's own client trusts only the platform's CAs
    try (WsPeer tls = WsPeer.https(serverCertificates.sslSocketFactory())) {
      ManagedStream s = manager.open(spec("s", tls.url()).build());
      int attempts = driveBackoffFor(s, Duration.ofSeconds(60));
      report("row 10: %d TLS attempts in 60 s of backoff", attempts);
      assertThat(attempts).as("attempts at 0, 1, 3, 7, 15 and 31 s").isEqualTo(6);
      assertFailures(Map.of(FailureReason.TLS_ERROR, 6L));
      assertThat(listener.causes).allMatch(c -> c instanceof SSLException);
      assertThat(tls.upgrades).hasValue(0);
      s.close();
      assertThat(tls.open).isEmpty();
    }
    assertHookRanOncePerOpen(0);
  }

  @Test
  void row11ServerThatNeverAnswersTheUpgradeFailsAsConnectTimeout() {
    start();
    proxy.blackhole(true); // accepts the TCP connection, never answers
    ManagedStream s = manager.open(spec("s", proxy.url()).build());
    Await.until("accepted", () -> proxy.accepted() == 1);
    time.advance(CONNECT_TIMEOUT.minusMillis(1));
    assertThat(s.state()).isEqualTo(StreamState.CONNECTING);
    time.advance(Duration.ofMillis(1));
    assertThat(s.state()).isEqualTo(StreamState.BACKING_OFF);
    assertFailures(Map.of(FailureReason.CONNECT_TIMEOUT, 1L));
    Await.until("onFailure", () -> listener.failures.size() == 1);
    assertThat(listener.causes.get(0))
        .hasMessageContaining("handshake did not complete within PT5S");

    proxy.blackhole(false);
    time.advance(Duration.ofSeconds(1));
    awaitState(s, StreamState.OPEN);
    assertHookRanOncePerOpen(1);
  }

  @Test
  void row12ListenerThrowingInEveryCallbackKeepsTheStreamWorking() throws Exception {
    ThrowingListener angry = new ThrowingListener();
    listener = angry;
    start();
    ManagedStream s =
        manager.open(
            spec("angry", proxy.url())
                .subscribe(
                    () -> {
                      hookCalls.incrementAndGet();
                      throw new IllegalStateException("hook");
                    })
                .build());
    awaitState(s, StreamState.OPEN);
    serverSocket().send("text");
    serverSocket().send(ByteString.encodeUtf8("binary"));
    Await.until("both delivered", () -> manager.stats().messagesReceived() == 2);
    serverSocket().close(1011, "boom");
    awaitState(s, StreamState.BACKING_OFF);
    time.advance(Duration.ofSeconds(1));
    awaitState(s, StreamState.OPEN);
    assertThat(s.send("still works")).isTrue();
    assertThat(peer.awaitReceived()).isEqualTo("still works");

    peer.enqueue(new MockResponse.Builder().code(401).build());
    ManagedStream fatal = manager.open(spec("angry-fatal", proxy.url()).build());
    awaitState(fatal, StreamState.FAILED);
    fatal.close();
    s.close();
    awaitState(s, StreamState.CLOSED);
    // the state is visible before its callbacks run: wait for the last one
    Await.until("both onClosed delivered", () -> angry.count("closed") == 2);

    Await.until(
        "every throw counted",
        () -> manager.stats().listenerErrors() == angry.calls.get() + hookCalls.get());
    assertThat(angry.kinds)
        .containsExactlyInAnyOrder(
            "onOpen", "onText", "onBinary", "onStateChange", "onFailure", "onGaveUp", "onClosed");
    report(
        "row 12: %d callbacks and %d hook calls threw; listener_errors = %d",
        angry.calls.get(), hookCalls.get(), manager.stats().listenerErrors());
    assertFailures(
        Map.of(FailureReason.CLOSED_BY_SERVER, 1L, FailureReason.HANDSHAKE_REJECTED, 1L));
    assertThat(angry.count("closed")).as("terminal callbacks once each").isEqualTo(2);
    assertThat(angry.count("gaveUp:handshake_rejected")).isEqualTo(1);
    assertHookRanOncePerOpen(2);
  }

  @Test
  void row13ThousandRacingOpenAndCloseCallsKeepCountersConsistent() throws Exception {
    startRealTime(b -> b.maxConnectsPerSecond(10_000, 1_000));
    ClosedCounter closed = new ClosedCounter();
    listener = closed;
    int threads = 8;
    int callsPerThread = 125;
    ConcurrentLinkedQueue<ManagedStream> created = new ConcurrentLinkedQueue<>();
    AtomicInteger duplicates = new AtomicInteger();
    AtomicInteger closes = new AtomicInteger();
    CountDownLatch go = new CountDownLatch(1);
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      Random random = new Random(t);
      Thread w =
          new Thread(
              () -> {
                awaitQuietly(go);
                for (int i = 0; i < callsPerThread; i++) {
                  String id = "r" + random.nextInt(40);
                  if (random.nextBoolean()) {
                    try {
                      created.add(manager.open(spec(id, proxy.url()).build()));
                    } catch (IllegalArgumentException alreadyOpen) {
                      duplicates.incrementAndGet();
                    }
                  } else {
                    manager.stream(id)
                        .ifPresent(
                            stream -> {
                              stream.close();
                              closes.incrementAndGet();
                            });
                  }
                }
              },
              "racer-" + t);
      workers.add(w);
      w.start();
    }
    go.countDown();
    for (Thread w : workers) {
      w.join(60_000);
      assertThat(w.isAlive()).isFalse();
    }
    report(
        "row 13: %d opens, %d rejected as duplicates, %d closes from %d threads",
        created.size(), duplicates.get(), closes.get(), threads);
    assertThat(created.size() + duplicates.get()).isGreaterThan(0);
    assertThat(manager.stats().streamCreations()).isEqualTo(created.size());
    Await.until(
        "every live stream open, every closed one gone",
        () ->
            manager.streams().stream().allMatch(snap -> snap.state() == StreamState.OPEN)
                && manager.stats().streamCreations() - manager.stats().streamCleanups()
                    == manager.streams().size());
    assertInvariants();

    manager.close(Duration.ofSeconds(10));
    assertThat(created).allMatch(stream -> stream.state() == StreamState.CLOSED);
    Await.until("onClosed for every stream", () -> closed.total() == created.size());
    assertThat(closed.byStream.values()).as("onClosed exactly once per stream").containsOnly(1);
    assertThat(closed.byStream.keySet()).containsExactlyInAnyOrderElementsOf(created);
    // a stream closed by another thread while its subscribe hook runs ran the hook without
    // reaching OPEN: at most one such stream per close call
    long opens = listener.count("open");
    assertThat((long) hookCalls.get()).as("hook calls").isBetween(opens, opens + closes.get());
  }

  /**
   * Regression: a stream published after {@code close()} had looked at the streams was never closed
   * (left BACKING_OFF on a dead scheduler), or held {@code close()} for its whole timeout.
   */
  @Test
  void row13ManagerCloseRacingOpensLeavesNothingBehind() throws Exception {
    proxy.refuse();
    int rounds = 0;
    int opened = 0;
    long end = System.nanoTime() + Duration.ofSeconds(3).toNanos();
    while (System.nanoTime() - end < 0) {
      rounds++;
      WsManager racing =
          TestHooks.fakeTime(
                  WsManager.builder().name(name).registry(new PrometheusRegistry()), time)
              .maxConnectsPerSecond(1e6, 1_000_000)
              // far longer than close() may take: one that waited for it could not pass
              .closeTimeout(Duration.ofSeconds(30))
              .build();
      ConcurrentLinkedQueue<ManagedStream> created = new ConcurrentLinkedQueue<>();
      List<Thread> openers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        int thread = t;
        Thread w =
            new Thread(
                () -> {
                  for (int i = 0; ; i++) {
                    try {
                      created.add(
                          racing.open(
                              StreamSpec.builder("m" + thread + "-" + i, proxy.url()).build()));
                    } catch (IllegalStateException closedAlready) {
                      return;
                    }
                  }
                },
                "opener-" + t);
        openers.add(w);
        w.start();
      }
      Await.until("some streams opened", () -> created.size() >= 20);
      long closeStart = System.nanoTime();
      racing.close();
      long closeMillis = (System.nanoTime() - closeStart) / 1_000_000;
      for (Thread w : openers) {
        w.join(10_000);
      }
      int round = rounds;
      assertThat(closeMillis)
          .as("round %d: close() had nothing to wait for", round)
          .isLessThan(10_000);
      assertThat(racing.streams()).as("round %d: no live stream after close()", round).isEmpty();
      assertThat(created).as("round %d", round).allMatch(x -> x.state() == StreamState.CLOSED);
      ManagerStats stats = racing.stats();
      assertThat(stats.streamCleanups()).isEqualTo(stats.streamCreations());
      assertThat(stats.streamsByState().values()).containsOnly(0L);
      opened += created.size();
    }
    report(
        "row 13: %d rounds of close() racing 4 opening threads, %d streams opened", rounds, opened);
  }

  /**
   * Regression: a stream closed by another thread between being published and started drove its
   * state gauge negative. The dispatcher warning that {@code open()} logs is the pause point: the
   * log stream blocks while the test closes the stream.
   */
  @Test
  void row13StreamClosedWhileItsOpenIsUnderwayKeepsTheGaugesRight() throws Exception {
    okhttp3.Dispatcher dispatcher = new okhttp3.Dispatcher();
    dispatcher.setMaxRequests(1); // the second stream makes open() log a warning
    start(b -> b.okHttpClient(new okhttp3.OkHttpClient.Builder().dispatcher(dispatcher).build()));
    try {
      ManagedStream first = manager.open(spec("first", proxy.url()).build());
      awaitState(first, StreamState.OPEN);
      PausingStream log = new PausingStream("opener", "maxRequests");
      java.io.PrintStream stderr = System.err;
      System.setErr(new java.io.PrintStream(log, true, java.nio.charset.StandardCharsets.UTF_8));
      Thread opener = new Thread(() -> manager.open(spec("second", proxy.url()).build()), "opener");
      ManagedStream second;
      Thread closer;
      try {
        opener.start();
        log.awaitPaused();
        second = Await.value("second listed", () -> manager.stream("second").orElse(null));
        // close() changes the state, then logs it; slf4j-simple serialises every write, so it
        // waits behind the paused opener: close from another thread and look at the state.
        closer = new Thread(second::close, "closer");
        closer.start();
        Await.until("second closed", () -> second.state() == StreamState.CLOSED);
        assertThat(manager.stats().streamsByState().values())
            .as("state gauges while open() is underway")
            .allMatch(v -> v >= 0);
      } finally {
        System.setErr(stderr);
        log.release();
      }
      opener.join(10_000);
      closer.join(10_000);
      assertThat(second.state()).isEqualTo(StreamState.CLOSED);
      assertThat(manager.stats().streamsByState())
          .containsEntry(StreamState.OPEN, 1L)
          .containsEntry(StreamState.CONNECTING, 0L);
      assertInvariants();
      assertHookRanOncePerOpen(1);
      manager.close();
    } finally {
      dispatcher.executorService().shutdown();
    }
  }

  @Test
  void row14CloseDuringBackoffAndDuringConnectStopsReconnecting() {
    start();
    // during backoff
    proxy.refuse();
    ManagedStream backingOff = manager.open(spec("backing-off", proxy.url()).build());
    awaitState(backingOff, StreamState.BACKING_OFF);
    backingOff.close();
    assertThat(backingOff.state()).isEqualTo(StreamState.CLOSED);
    assertThat(time.pendingCount()).as("no timer left").isZero();
    proxy.accept();

    // during a connect
    proxy.blackhole(true);
    ManagedStream connecting = manager.open(spec("connecting", proxy.url()).build());
    Await.until("accepted", () -> proxy.accepted() == 1);
    assertThat(connecting.state()).isEqualTo(StreamState.CONNECTING);
    connecting.close();
    assertThat(connecting.state()).isEqualTo(StreamState.CLOSED);
    assertThat(time.pendingCount()).as("no timer left").isZero();
    proxy.blackhole(false);
    Await.until("the cancelled connection is gone", () -> proxy.connections() == 0);

    time.advance(Duration.ofMinutes(5));
    assertThat(manager.stats().connectionAttempts()).isEqualTo(2);
    assertThat(proxy.accepted()).isEqualTo(1);
    assertFailures(Map.of(FailureReason.CONNECT_ERROR, 1L));

    // the manager's close() with one stream in each state
    proxy.refuse();
    ManagedStream c = manager.open(spec("c", proxy.url()).build());
    awaitState(c, StreamState.BACKING_OFF);
    proxy.accept();
    proxy.blackhole(true);
    ManagedStream d = manager.open(spec("d", proxy.url()).build());
    Await.until("accepted", () -> proxy.accepted() == 2);
    long start = System.nanoTime();
    manager.close(Duration.ofSeconds(30));
    assertThat(Duration.ofNanos(System.nanoTime() - start))
        .as("nothing to wait for: far less than the timeout")
        .isLessThan(Duration.ofSeconds(10));
    assertThat(List.of(c, d)).allMatch(x -> x.state() == StreamState.CLOSED);
    time.advance(Duration.ofMinutes(5));
    assertThat(manager.stats().connectionAttempts()).isEqualTo(4);
    Await.until("onClosed x4", () -> listener.count("closed") == 4);
    assertThat(listener.count("closed")).isEqualTo(4);
    assertHookRanOncePerOpen(0);
  }

  @Test
  void row15OutageStormOf500StreamsRecoversWithinTheAdmissionLimit() {
    int n = 500;
    double rate = 500;
    int burst = 25;
    Random random = new Random(15);
    start(b -> TestHooks.random(b.maxConnectsPerSecond(rate, burst), random::nextDouble));
    List<ManagedStream> streams = new ArrayList<>();
    Storm storm = new Storm(streams);
    for (int i = 0; i < n; i++) { // at fake time 0: the first burst starts at once
      streams.add(manager.open(spec("s" + i, proxy.url()).build()));
    }
    storm.attemptsPerStep.add(manager.stats().connectionAttempts());
    storm.driveUntil(Duration.ofSeconds(10), () -> manager.stats().activeConnections() == n);
    // the client sees the 101 before the server side's onOpen has run
    Await.until("every server-side socket is open", () -> peer.open.size() == n);

    proxy.stop(); // the server dies: every connection reset, new ones refused
    Await.until(
        "all backing off",
        Duration.ofSeconds(30),
        () -> manager.stats().streamsByState().get(StreamState.BACKING_OFF) == n);
    assertThat(failureCount(FailureReason.CONNECTION_LOST)).isEqualTo(n);
    storm.driveUntil(Duration.ofSeconds(3), () -> false); // 3 s of refused reconnects
    long refusedDuringOutage = failureCount(FailureReason.CONNECT_ERROR);

    proxy.start(); // back on the same port
    Duration latestTimer = time.pendingDelays().get(time.pendingCount() - 1);
    long restartedAt = time.millis();
    storm.driveUntil(Duration.ofSeconds(60), () -> manager.stats().activeConnections() == n);
    long recoveredMillis = time.millis() - restartedAt;

    int maxPer100 = storm.maxPerWindow(10);
    long bound = burst + (long) Math.floor(0.101 * rate);
    report(
        "row 15: %d streams; %d refused attempts during a 3 s outage; all OPEN %d ms after the"
            + " restart (latest timer %d ms); max %d attempts per 100 ms (bound %d)",
        n, refusedDuringOutage, recoveredMillis, latestTimer.toMillis(), maxPer100, bound);
    assertThat(maxPer100).as("attempts per 100 ms").isLessThanOrEqualTo((int) bound);
    assertThat(recoveredMillis)
        .as("recovered by the latest backoff timer plus the time to admit every stream")
        .isLessThanOrEqualTo(latestTimer.toMillis() + (long) (n * 1000 / rate) + 10);
    assertThat(listener.causes)
        .noneMatch(c -> String.valueOf(c).contains("Cannot assign requested address"));
    assertThat(streams).allMatch(s -> s.state() == StreamState.OPEN);
    // the client sees the 101 before the server side's onOpen has run
    Await.until("every server-side socket is open", () -> peer.open.size() == n);
    assertThat(proxy.connections()).isEqualTo(n);
    assertThat(failureCount(FailureReason.CONNECTION_LOST)).isEqualTo(n);
    assertThat(manager.stats().totalConnectionFailures()).isEqualTo(n + refusedDuringOutage);
    assertHookRanOncePerOpen(2 * n);
  }

  @Test
  void row16LargeMessageAndSlowListener() throws Exception {
    CountDownLatch release = new CountDownLatch(1);
    List<Integer> bigSizes = new java.util.concurrent.CopyOnWriteArrayList<>();
    listener =
        new RecordingListener() {
          @Override
          public void onText(ManagedStream stream, String text) {
            if (text.length() > 1024 * 1024) {
              bigSizes.add(text.length());
              return;
            }
            texts.add(text.length() > 32 ? text.substring(0, 32) : text);
            if (text.equals("block")) {
              awaitQuietly(release);
            }
          }
        };
    start();
    ManagedStream s = manager.open(spec("big", peer.url()).build());
    awaitState(s, StreamState.OPEN);
    RealWebSocket server = (RealWebSocket) serverSocket();

    // one 8 MiB text message: delivered whole, once
    int big = 8 * 1024 * 1024;
    assertThat(server.send("x".repeat(big))).isTrue();
    Await.until("8 MiB delivered", () -> bigSizes.size() == 1);
    assertThat(bigSizes).containsExactly(big);
    assertThat(s.state()).isEqualTo(StreamState.OPEN);

    // a listener that blocks: the reader stops, the server's queue fills, nothing piles up here
    assertThat(server.send("block")).isTrue();
    Await.until("listener blocked", () -> listener.texts.contains("block"));
    String chunk = "y".repeat(64 * 1024);
    int sent = 0;
    long queueLimit = 2L * 1024 * 1024;
    while (!holdsFor(Duration.ofMillis(300), () -> server.queueSize() >= queueLimit)) {
      while (server.queueSize() < queueLimit) {
        assertThat(server.send(sent + ":" + chunk)).isTrue();
        sent++;
      }
    }
    long inFlight = (long) sent * chunk.length() - server.queueSize();
    assertThat(manager.stats().messagesReceived()).as("no message read while blocked").isEqualTo(2);
    report(
        "row 16: 8 MiB message delivered whole; with the listener blocked the server queued"
            + " %d KiB after %d KiB sat in socket buffers",
        server.queueSize() / 1024, inFlight / 1024);
    release.countDown();
    int expected = sent;
    Await.until(
        "all delivered after release",
        Duration.ofSeconds(30),
        () -> manager.stats().messagesReceived() == 2 + expected);
    // counted as read, then delivered: the last callback may still be on its way
    Await.until(
        "the last message delivered",
        () -> listener.texts.get(listener.texts.size() - 1).startsWith((expected - 1) + ":"));
    assertThat(s.state()).isEqualTo(StreamState.OPEN);
    assertThat(listener.failures).isEmpty();

    // the same blocked listener with pings on: pongs are read by the blocked thread, so the pong
    // deadline passes; the listener, not the network, is to blame
    CountDownLatch releasePing = new CountDownLatch(1);
    RecordingListener pingListener =
        new RecordingListener() {
          @Override
          public void onText(ManagedStream stream, String text) {
            awaitQuietly(releasePing);
          }
        };
    ManagedStream pinged =
        manager.open(
            StreamSpec.builder("slow-with-pings", peer.url())
                .listener(pingListener)
                .pingInterval(PONG_DEADLINE)
                .build());
    awaitState(pinged, StreamState.OPEN);
    Await.until("second server socket", () -> peer.open.size() == 2);
    peer.open.get(1).send("block");
    Await.until("ping timeout while blocked", () -> !pingListener.failures.isEmpty());
    assertThat(pingListener.failures).containsExactly(FailureReason.LISTENER_STALLED);
    awaitState(pinged, StreamState.BACKING_OFF);
    time.advance(Duration.ofSeconds(1));
    assertThat(pinged.state())
        .as("no reconnect while the stalled callback still runs")
        .isEqualTo(StreamState.BACKING_OFF);
    releasePing.countDown();
    Await.until(
        "reconnected once the callback returned",
        () -> {
          time.advance(Duration.ofMillis(100));
          return pinged.state() == StreamState.OPEN;
        });
    pinged.close();
    awaitState(pinged, StreamState.CLOSED);
    assertHookRanOncePerOpen(1);
  }

  // ---------------------------------------------------------------------------------------------
  // Fixture

  private void start() {
    start(UnaryOperator.identity());
  }

  /** A manager on fake time; no jitter unless the row sets a random. */
  private void start(UnaryOperator<WsManager.Builder> customize) {
    manager =
        customize
            .apply(
                TestHooks.random(
                        TestHooks.fakeTime(WsManager.builder().name(name).registry(registry), time),
                        () -> 0.0)
                    .reconnectPolicy(POLICY))
            .build();
  }

  /** A manager on real time with its own scheduler thread. */
  private void startRealTime(UnaryOperator<WsManager.Builder> customize) {
    manager =
        customize
            .apply(WsManager.builder().name(name).registry(registry).reconnectPolicy(POLICY))
            .build();
  }

  private StreamSpec.Builder spec(String id, String url) {
    return StreamSpec.builder(id, url)
        .listener(listener)
        .pingInterval(Duration.ZERO)
        .connectTimeout(CONNECT_TIMEOUT)
        .subscribe(
            () -> {
              hookCalls.incrementAndGet();
              return List.of("subscribe:" + id);
            });
  }

  private WebSocket serverSocket() {
    Await.until("one server-side socket", () -> peer.open.size() == 1);
    return peer.open.get(0);
  }

  private static void awaitState(ManagedStream stream, StreamState state) {
    Await.until(stream.id() + " " + state, () -> stream.state() == state);
  }

  private long failureCount(FailureReason reason) {
    return manager.stats().connectionFailures().get(reason);
  }

  /** Exactly these failures were counted, every other reason zero. */
  private void assertFailures(Map<FailureReason, Long> expected) {
    for (FailureReason r : FailureReason.values()) {
      assertThat(failureCount(r))
          .as("failures with reason %s", r.label())
          .isEqualTo(expected.getOrDefault(r, 0L));
    }
  }

  /** The subscribe hook runs once per open: never for an attempt that did not open. */
  private void assertHookRanOncePerOpen(long opens) {
    Await.until(opens + " onOpen callbacks", () -> listener.count("open") == opens);
    assertThat(hookCalls).as("hook calls = opens").hasValue((int) opens);
  }

  /**
   * Follows a stream that keeps failing: advances fake time to each retry until {@code window} has
   * passed and returns the attempts made in it, the first included.
   */
  private int driveBackoffFor(ManagedStream s, Duration window) {
    long elapsed = 0;
    int attempts = 1;
    while (true) {
      int made = attempts;
      Await.until(
          "attempt " + made + " failed",
          () ->
              s.state() == StreamState.BACKING_OFF
                  && time.pendingCount() == 1
                  && manager.stats().totalConnectionFailures() == made);
      long delay = time.pendingDelays().get(0).toMillis();
      if (elapsed + delay > window.toMillis()) {
        return attempts;
      }
      time.advance(Duration.ofMillis(delay));
      elapsed += delay;
      attempts++;
    }
  }

  private void assertInvariants() {
    ManagerStats stats = manager.stats();
    List<StreamSnapshot> live = manager.streams();
    assertThat(stats.streamCreations() - stats.streamCleanups())
        .as("live streams = creations - cleanups")
        .isEqualTo(live.size());
    long open = live.stream().filter(s -> s.state() == StreamState.OPEN).count();
    assertThat(stats.activeConnections()).as("active connections = streams OPEN").isEqualTo(open);
    assertThat(stats.streamsByState().values().stream().mapToLong(Long::longValue).sum())
        .as("state gauges add up to the live streams")
        .isEqualTo(live.size());
  }

  private void assertNothingLeft() {
    ManagerStats stats = manager.stats();
    assertThat(manager.streams()).isEmpty();
    assertThat(stats.streamCleanups()).isEqualTo(stats.streamCreations());
    assertThat(stats.activeConnections()).isZero();
    assertThat(stats.streamsByState().values()).containsOnly(0L);
    Await.until("no proxied connection left (" + proxy + ")", () -> proxy.connections() == 0);
    Await.until("no server-side socket left", () -> peer.open.isEmpty());
    Await.until("no thread of manager " + name + " left", () -> managerThreads(name).isEmpty());
    Await.until(
        "no OkHttp call left running to the proxy or the peer",
        () -> callThreads(proxy.port(), peer.port()).isEmpty());
    assertThat(registry.scrape().size()).as("no metric series left").isZero();
  }

  static List<String> managerThreads(String managerName) {
    List<String> out = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith("ws-manager-" + managerName + "-")) {
        out.add(t.getName());
      }
    }
    return out;
  }

  /**
   * Threads running an OkHttp call to one of {@code ports}: OkHttp renames a dispatcher thread to
   * {@code OkHttp <url>} while it runs a call, and a WebSocket's reader runs in that call.
   */
  static List<String> callThreads(int... ports) {
    List<String> out = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      for (int port : ports) {
        if (t.isAlive()
            && t.getName().startsWith("OkHttp ")
            && t.getName().contains("://127.0.0.1:" + port + "/")) {
          out.add(t.getName());
        }
      }
    }
    return out;
  }

  /** Whether {@code condition} stays true for all of {@code period}. */
  private static boolean holdsFor(Duration period, BooleanSupplier condition) {
    long end = System.nanoTime() + period.toNanos();
    while (System.nanoTime() - end < 0) {
      if (!condition.getAsBoolean()) {
        return false;
      }
      java.util.concurrent.locks.LockSupport.parkNanos(2_000_000L);
    }
    return condition.getAsBoolean();
  }

  private static void awaitQuietly(CountDownLatch latch) {
    try {
      latch.await(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void report(String format, Object... args) {
    System.out.println("[fault-matrix] " + String.format(format, args));
  }

  /**
   * Drives fake time in 10 ms steps and counts the connection attempts each step starts. After each
   * step it waits until no attempt is in flight, so real I/O never races fake time.
   */
  private final class Storm {
    private final List<ManagedStream> streams;
    private final List<Long> attemptsPerStep = new ArrayList<>();

    Storm(List<ManagedStream> streams) {
      this.streams = streams;
    }

    void driveUntil(Duration limit, BooleanSupplier done) {
      long end = time.millis() + limit.toMillis();
      while (!done.getAsBoolean() && time.millis() < end) {
        long before = manager.stats().connectionAttempts();
        time.advance(Duration.ofMillis(10));
        attemptsPerStep.add(manager.stats().connectionAttempts() - before);
        Await.until("no attempt in flight", Duration.ofSeconds(30), this::settled);
      }
    }

    private boolean settled() {
      for (ManagedStream s : streams) {
        if (s.state() == StreamState.CONNECTING && s.snapshot().attempts() > 0) {
          return false;
        }
      }
      return true;
    }

    int maxPerWindow(int steps) {
      long max = 0;
      for (int i = 0; i < attemptsPerStep.size(); i++) {
        long sum = 0;
        for (int j = i; j < Math.min(i + steps, attemptsPerStep.size()); j++) {
          sum += attemptsPerStep.get(j);
        }
        max = Math.max(max, sum);
      }
      return (int) max;
    }
  }

  /** An output stream that blocks the named thread once it has written {@code marker}. */
  private static final class PausingStream extends java.io.OutputStream {
    private final String thread;
    private final String marker;
    private final java.io.ByteArrayOutputStream written = new java.io.ByteArrayOutputStream();
    private final CountDownLatch paused = new CountDownLatch(1);
    private final CountDownLatch released = new CountDownLatch(1);

    PausingStream(String thread, String marker) {
      this.thread = thread;
      this.marker = marker;
    }

    @Override
    public void write(int b) {
      write(new byte[] {(byte) b}, 0, 1);
    }

    @Override
    public void write(byte[] b, int off, int len) {
      boolean pause;
      synchronized (written) {
        written.write(b, off, len);
        pause =
            Thread.currentThread().getName().equals(thread)
                && written.toString(java.nio.charset.StandardCharsets.UTF_8).contains(marker)
                && paused.getCount() > 0;
      }
      if (pause) {
        paused.countDown();
        awaitQuietly(released);
      }
    }

    void awaitPaused() throws InterruptedException {
      assertThat(paused.await(10, TimeUnit.SECONDS)).as("%s logged %s", thread, marker).isTrue();
    }

    void release() {
      released.countDown();
    }
  }

  /** Records, then throws from every callback. */
  private static final class ThrowingListener extends RecordingListener {
    final AtomicInteger calls = new AtomicInteger();
    final Set<String> kinds = ConcurrentHashMap.newKeySet();

    private RuntimeException thrown(String kind) {
      calls.incrementAndGet();
      kinds.add(kind);
      return new IllegalStateException("listener throws in " + kind);
    }

    @Override
    public void onOpen(ManagedStream stream) {
      super.onOpen(stream);
      throw thrown("onOpen");
    }

    @Override
    public void onText(ManagedStream stream, String text) {
      super.onText(stream, text);
      throw thrown("onText");
    }

    @Override
    public void onBinary(ManagedStream stream, ByteString bytes) {
      super.onBinary(stream, bytes);
      throw thrown("onBinary");
    }

    @Override
    public void onStateChange(ManagedStream stream, StreamState from, StreamState to) {
      super.onStateChange(stream, from, to);
      throw thrown("onStateChange");
    }

    @Override
    public void onFailure(ManagedStream stream, FailureReason reason, Throwable cause) {
      super.onFailure(stream, reason, cause);
      throw thrown("onFailure");
    }

    @Override
    public void onGaveUp(ManagedStream stream, FailureReason reason, Throwable cause) {
      super.onGaveUp(stream, reason, cause);
      throw thrown("onGaveUp");
    }

    @Override
    public void onClosed(ManagedStream stream) {
      super.onClosed(stream);
      throw thrown("onClosed");
    }
  }

  /** Counts onClosed per stream, and opens, without keeping an event list per stream. */
  private static final class ClosedCounter extends RecordingListener {
    final Map<ManagedStream, Integer> byStream = new ConcurrentHashMap<>();
    final AtomicInteger opens = new AtomicInteger();

    @Override
    public void onOpen(ManagedStream stream) {
      opens.incrementAndGet();
    }

    @Override
    public void onStateChange(ManagedStream stream, StreamState from, StreamState to) {}

    @Override
    public void onClosed(ManagedStream stream) {
      byStream.merge(stream, 1, Integer::sum);
    }

    int total() {
      return byStream.values().stream().mapToInt(Integer::intValue).sum();
    }

    @Override
    public long count(String event) {
      return event.equals("open") ? opens.get() : super.count(event);
    }
  }
}
