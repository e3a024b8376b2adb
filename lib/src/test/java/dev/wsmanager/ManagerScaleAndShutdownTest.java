package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real time, real threads: the manager's defaults at a scale that breaks a default OkHttp client.
 */
class ManagerScaleAndShutdownTest {
  private final WsPeer peer = new WsPeer();

  @AfterEach
  void tearDown() {
    peer.close();
  }

  static List<Thread> threadsNamed(String prefix) {
    List<Thread> out = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      if (t.isAlive() && t.getName().startsWith(prefix)) {
        out.add(t);
      }
    }
    return out;
  }

  @Test
  void aHundredStreamsToOneHostAllOpenWithTheDefaultManager() {
    PrometheusRegistry registry = new PrometheusRegistry();
    WsManager manager =
        WsManager.builder()
            .name("scale")
            .registry(registry)
            .maxConnectsPerSecond(1_000, 100)
            .build();
    List<ManagedStream> streams = new ArrayList<>();
    for (int i = 0; i < 100; i++) {
      streams.add(manager.open(StreamSpec.builder("s" + i, peer.url()).build()));
    }
    Await.until(
        "100 streams OPEN",
        Duration.ofSeconds(30),
        () -> streams.stream().allMatch(s -> s.state() == StreamState.OPEN));
    ManagerStats stats = manager.stats();
    assertThat(stats.activeConnections()).isEqualTo(100);
    assertThat(stats.activeConnectionsHwm()).isEqualTo(100);
    assertThat(stats.streamsByState()).containsEntry(StreamState.OPEN, 100L);
    assertThat(threadsNamed("ws-manager-scale-")).isNotEmpty();

    manager.close();
    assertThat(manager.streams()).isEmpty();
    assertThat(manager.stats().streamCleanups()).isEqualTo(100);
    assertThat(manager.stats().activeConnections()).isZero();
    assertThat(manager.stats().activeConnectionsHwm()).isEqualTo(100);
    Await.until("server sockets closed", () -> peer.open.isEmpty());
    assertThat(peer.closeCodes).hasSize(100).containsOnly(1000);
    Await.until("no manager thread left", () -> threadsNamed("ws-manager-scale-").isEmpty());
    assertThat(registry.scrape().size()).isZero();
  }

  @Test
  void theSixtyFifthStreamOnADefaultClientIsWhyTheManagerSizesItsOwn() throws Exception {
    // Documents the OkHttp fact the manager designs around: a caller-supplied default client
    // holds at most 64 WebSockets; the 65th waits for a dispatcher slot forever.
    Dispatcher dispatcher = new Dispatcher();
    OkHttpClient small = new OkHttpClient.Builder().dispatcher(dispatcher).build();
    WsManager manager =
        WsManager.builder()
            .name("small-client")
            .registry(new PrometheusRegistry())
            .okHttpClient(small)
            .maxConnectsPerSecond(1_000, 100)
            .build();
    try {
      for (int i = 0; i < 65; i++) {
        manager.open(StreamSpec.builder("s" + i, peer.url()).build());
      }
      Await.until(
          "64 open", Duration.ofSeconds(30), () -> manager.stats().activeConnections() == 64);
      assertThat(dispatcher.queuedCallsCount()).isEqualTo(1);
      assertThat(manager.stats().streamsByState()).containsEntry(StreamState.CONNECTING, 1L);
    } finally {
      manager.close(Duration.ofSeconds(5));
      dispatcher.executorService().shutdown();
      assertThat(dispatcher.executorService().awaitTermination(10, TimeUnit.SECONDS)).isTrue();
      small.connectionPool().evictAll();
    }
    assertThat(dispatcher.runningCallsCount()).isZero();
  }

  @Test
  void closeLeavesNoThreadEvenWithStreamsBackingOff() {
    WsManager manager =
        WsManager.builder().name("shutdown").registry(new PrometheusRegistry()).build();
    manager.open(StreamSpec.builder("refused", "ws://127.0.0.1:1/ws").build());
    ManagedStream ok = manager.open(StreamSpec.builder("ok", peer.url()).build());
    Await.until("ok open", () -> ok.state() == StreamState.OPEN);
    Await.until(
        "refused backing off",
        () -> manager.stream("refused").orElseThrow().state() == StreamState.BACKING_OFF);
    manager.close();
    manager.close(); // idempotent
    assertThat(manager.isRunning()).isFalse();
    assertThat(manager.streams()).isEmpty();
    Await.until("no manager thread left", () -> threadsNamed("ws-manager-shutdown-").isEmpty());
  }

  @Test
  void racingOpensAndClosesKeepTheCountersConsistent() throws Exception {
    WsManager manager =
        WsManager.builder()
            .name("race")
            .registry(new PrometheusRegistry())
            .maxConnectsPerSecond(10_000, 1_000)
            .build();
    int threads = 8;
    int perThread = 125;
    List<Thread> workers = new ArrayList<>();
    for (int t = 0; t < threads; t++) {
      int id = t;
      Thread w =
          new Thread(
              () -> {
                for (int i = 0; i < perThread; i++) {
                  ManagedStream s =
                      manager.open(StreamSpec.builder("t" + id + "-" + i, peer.url()).build());
                  if (i % 2 == 0) {
                    s.close();
                  }
                }
              });
      workers.add(w);
      w.start();
    }
    for (Thread w : workers) {
      w.join(30_000);
    }
    ManagerStats mid = manager.stats();
    assertThat(mid.streamCreations()).isEqualTo(threads * perThread);
    assertThat(mid.streamCreations() - mid.streamCleanups()).isEqualTo(manager.streams().size());
    manager.close(Duration.ofSeconds(10));
    ManagerStats end = manager.stats();
    assertThat(end.streamCleanups()).isEqualTo(end.streamCreations());
    assertThat(end.activeConnections()).isZero();
    assertThat(end.streamsByState().values()).containsOnly(0L);
    Await.until("no manager thread left", () -> threadsNamed("ws-manager-race-").isEmpty());
    Await.until("server sockets closed", () -> peer.open.isEmpty());
  }

  @Test
  void virtualThreadsWorkWhereTheRuntimeHasThemAndFailClearlyWhereNot() {
    WsManager.Builder builder =
        WsManager.builder().name("virtual").registry(new PrometheusRegistry()).virtualThreads(true);
    if (Runtime.version().feature() < 21) {
      org.assertj.core.api.Assertions.assertThatThrownBy(builder::build)
          .isInstanceOf(IllegalStateException.class)
          .hasMessage(
              "virtualThreads(true) needs JDK 21 or newer; this runtime is Java "
                  + Runtime.version().feature()
                  + ". Remove the option or run on a newer JDK.");
      return;
    }
    try (WsManager manager = builder.build()) {
      ManagedStream s = manager.open(StreamSpec.builder("v", peer.url()).build());
      Await.until("open", () -> s.state() == StreamState.OPEN);
      peer.broadcast("on a virtual thread");
      Await.until("received", () -> manager.stats().messagesReceived() == 1);
    }
  }
}
