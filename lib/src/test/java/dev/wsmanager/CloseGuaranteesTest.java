package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.RawServer;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.net.InetAddress;
import java.net.Socket;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import javax.net.SocketFactory;
import okhttp3.OkHttpClient;
import org.junit.jupiter.api.Test;

/** What close() promises, checked the moment it returns, never "a little later". */
class CloseGuaranteesTest {

  /** Hands out plain sockets and remembers each one. */
  private static final class TrackingSocketFactory extends SocketFactory {
    final List<Socket> sockets = new CopyOnWriteArrayList<>();

    private Socket track(Socket s) {
      sockets.add(s);
      return s;
    }

    @Override
    public Socket createSocket() {
      return track(new Socket());
    }

    @Override
    public Socket createSocket(String host, int port) throws IOException {
      return track(new Socket(host, port));
    }

    @Override
    public Socket createSocket(String host, int port, InetAddress local, int localPort)
        throws IOException {
      return track(new Socket(host, port, local, localPort));
    }

    @Override
    public Socket createSocket(InetAddress host, int port) throws IOException {
      return track(new Socket(host, port));
    }

    @Override
    public Socket createSocket(InetAddress host, int port, InetAddress local, int localPort)
        throws IOException {
      return track(new Socket(host, port, local, localPort));
    }
  }

  @Test
  void everySocketIsClosedWhenCloseReturnsEvenWithTheCallersClient() {
    TrackingSocketFactory sockets = new TrackingSocketFactory();
    OkHttpClient client = new OkHttpClient.Builder().socketFactory(sockets).build();
    try (WsPeer peer = new WsPeer()) {
      for (int round = 0; round < 4; round++) {
        WsManager manager =
            WsManager.builder()
                .name("own-client")
                .registry(new PrometheusRegistry())
                .okHttpClient(client)
                .build();
        List<ManagedStream> streams = new ArrayList<>();
        for (int i = 0; i < 4; i++) {
          streams.add(manager.open(StreamSpec.builder("s" + i, peer.url()).build()));
        }
        Await.until("open", () -> streams.stream().allMatch(s -> s.state() == StreamState.OPEN));
        manager.close();
        assertThat(sockets.sockets).as("round %d", round).allMatch(Socket::isClosed);
      }
    } finally {
      client.dispatcher().executorService().shutdown();
    }
  }

  @Test
  void everyThreadTheManagerCreatedHasEndedWhenCloseReturns() {
    try (WsPeer peer = new WsPeer()) {
      for (int round = 0; round < 3; round++) {
        WsManager manager =
            WsManager.builder().name("threads-gone").registry(new PrometheusRegistry()).build();
        List<ManagedStream> streams = new ArrayList<>();
        for (int i = 0; i < 5; i++) {
          streams.add(manager.open(StreamSpec.builder("s" + i, peer.url()).build()));
        }
        manager.open(StreamSpec.builder("refused", "ws://127.0.0.1:1/").build());
        Await.until("open", () -> streams.stream().allMatch(s -> s.state() == StreamState.OPEN));
        assertThat(ManagerScaleAndShutdownTest.threadsNamed("ws-manager-threads-gone-"))
            .isNotEmpty();
        manager.close();
        assertThat(ManagerScaleAndShutdownTest.threadsNamed("ws-manager-threads-gone-"))
            .as("threads right after close(), round %d", round)
            .isEmpty();
      }
    }
  }

  @Test
  void closeAsyncSaysWhenTheIdIsFreeEvenWhenTheServerNeverAnswers() throws Exception {
    try (RawServer silent = new RawServer(RawServer.Mode.HANDSHAKE_THEN_SILENT);
        WsManager manager =
            WsManager.builder()
                .name("close-async")
                .registry(new PrometheusRegistry())
                .closeTimeout(Duration.ofMillis(300))
                .build()) {
      ManagedStream s =
          manager.open(
              StreamSpec.builder("feed", silent.url()).pingInterval(Duration.ZERO).build());
      Await.until("open", () -> s.state() == StreamState.OPEN);
      long start = System.nanoTime();
      var done = s.closeAsync().toCompletableFuture();
      assertThat(s.state()).isEqualTo(StreamState.CLOSING);
      assertThat(manager.stream("feed")).as("id still taken while closing").isPresent();
      done.get(5, TimeUnit.SECONDS);
      long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      System.out.printf(
          "[close] closeAsync completed after %d ms (close timeout 300 ms)%n", tookMillis);
      assertThat(tookMillis).isBetween(250L, 3_000L);
      assertThat(s.state()).isEqualTo(StreamState.CLOSED);
      assertThat(manager.stream("feed")).isEmpty();
      // the id is free at once
      ManagedStream again = manager.open(StreamSpec.builder("feed", silent.url()).build());
      assertThat(again).isNotSameAs(s);
      assertThat(s.closeAsync().toCompletableFuture()).isDone();
    }
  }

  @Test
  void closeAsyncOfAStreamThatNeverConnectedCompletesAtOnce() throws Exception {
    try (WsManager manager =
        WsManager.builder().name("close-now").registry(new PrometheusRegistry()).build()) {
      ManagedStream s = manager.open(StreamSpec.builder("x", "ws://127.0.0.1:1/").build());
      s.closeAsync().toCompletableFuture().get(1, TimeUnit.SECONDS);
      assertThat(manager.stream("x")).isEmpty();
    }
  }

  @Test
  void closeWithAnEndlessTimeoutNeverLeavesTheManagerHalfClosed() {
    try (WsPeer peer = new WsPeer()) {
      WsManager manager =
          WsManager.builder().name("forever").registry(new PrometheusRegistry()).build();
      ManagedStream s = manager.open(StreamSpec.builder("s", peer.url()).build());
      Await.until("open", () -> s.state() == StreamState.OPEN);
      manager.close(java.time.temporal.ChronoUnit.FOREVER.getDuration());
      assertThat(s.state()).isEqualTo(StreamState.CLOSED);
      assertThat(manager.registry().scrape().size()).isZero();
      assertThat(ManagerScaleAndShutdownTest.threadsNamed("ws-manager-forever-")).isEmpty();
    }
  }
}
