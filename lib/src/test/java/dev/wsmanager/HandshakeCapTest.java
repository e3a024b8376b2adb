package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.RawServer;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.Closeable;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** The manager-wide cap on handshakes in flight ({@code maxConnectingStreams}). */
class HandshakeCapTest {

  @Test
  void noMoreHandshakesAtOnceThanTheCapAgainstAPeerThatDelaysItsUpgrade() throws Exception {
    try (GatedPeer peer = new GatedPeer();
        WsManager manager =
            WsManager.builder()
                .name("cap")
                .registry(new PrometheusRegistry())
                .maxConnectsPerSecond(10_000, 1_000)
                .maxConnectingStreams(3)
                .build()) {
      List<ManagedStream> streams = new ArrayList<>();
      for (int i = 0; i < 24; i++) {
        streams.add(manager.open(StreamSpec.builder("s" + i, peer.url()).build()));
      }
      // the peer holds every upgrade: three handshakes start, the others wait in line
      Await.until("3 handshakes held by the peer", () -> peer.pending.get() == 3);
      assertThat(manager.connectsInFlight()).isEqualTo(3);
      assertThat(streams).allMatch(s -> s.state() == StreamState.CONNECTING);
      // waiting streams have not started an attempt (nor its connect timer)
      assertThat(streams.stream().filter(s -> s.snapshot().attempts() == 0).count()).isEqualTo(21);

      peer.release.countDown();
      Await.until(
          "all open",
          Duration.ofSeconds(30),
          () -> streams.stream().allMatch(s -> s.state() == StreamState.OPEN));
      assertThat(peer.maxPending.get()).isEqualTo(3);
      assertThat(peer.accepted.get()).isEqualTo(24);
      assertThat(streams).allMatch(s -> s.snapshot().attempts() == 1);
      assertThat(manager.connectsInFlight()).isZero();
    }
  }

  @Test
  void slotsReturnToZeroAfterStreamsOpenFailTimeOutAndClose() throws Exception {
    ReconnectPolicy quick =
        ReconnectPolicy.builder()
            .initialDelay(Duration.ofMillis(1))
            .maxDelay(Duration.ofMillis(500))
            .retryForever()
            .build();
    try (WsPeer good = new WsPeer();
        RawServer silent = new RawServer(RawServer.Mode.NEVER_ANSWER);
        WsManager manager =
            WsManager.builder()
                .name("cap-leak")
                .registry(new PrometheusRegistry())
                .maxConnectsPerSecond(10_000, 1_000)
                .maxConnectingStreams(2)
                .build()) {
      List<ManagedStream> opening = new ArrayList<>();
      List<ManagedStream> failing = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        failing.add(
            manager.open(
                StreamSpec.builder("timeout" + i, silent.url())
                    .connectTimeout(Duration.ofMillis(100))
                    .reconnectPolicy(quick)
                    .build()));
        failing.add(
            manager.open(
                StreamSpec.builder("refused" + i, "ws://127.0.0.1:1/ws")
                    .reconnectPolicy(quick)
                    .build()));
        opening.add(manager.open(StreamSpec.builder("ok" + i, good.url()).build()));
        // closed at once, most of them while in line for a slot
        manager.open(StreamSpec.builder("gone" + i, good.url()).build()).close();
      }
      Await.until(
          "good streams open",
          Duration.ofSeconds(30),
          () -> opening.stream().allMatch(s -> s.state() == StreamState.OPEN));
      Await.until(
          "every failing stream retried",
          Duration.ofSeconds(30),
          () -> failing.stream().allMatch(s -> s.snapshot().attempts() >= 2));
      assertThat(manager.connectsInFlight()).isBetween(0, 2);

      failing.forEach(ManagedStream::close);
      Await.until("no handshake in flight", () -> manager.connectsInFlight() == 0);
      opening.forEach(ManagedStream::close);
      Await.until("all closed", () -> manager.streams().isEmpty());
      assertThat(manager.connectsInFlight()).isZero();
    }
  }

  @Test
  void theCapIsValidated() {
    assertThatThrownBy(() -> WsManager.builder().maxConnectingStreams(0).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConnectingStreams must be from 1 to 1000000, was 0");
    assertThatThrownBy(() -> WsManager.builder().maxConnectingStreams(1_000_001).build())
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("maxConnectingStreams must be from 1 to 1000000, was 1000001");
  }

  /**
   * Answers each upgrade only once {@link #release} opens, and counts the handshakes it holds (from
   * accept to its 101) and the most at once.
   */
  private static final class GatedPeer implements Closeable {
    private static final Pattern KEY = Pattern.compile("(?im)^Sec-WebSocket-Key:\\s*(\\S+)");
    final CountDownLatch release = new CountDownLatch(1);
    final AtomicInteger pending = new AtomicInteger();
    final AtomicInteger maxPending = new AtomicInteger();
    final AtomicInteger accepted = new AtomicInteger();
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final ServerSocket server;

    GatedPeer() throws IOException {
      server = new ServerSocket(0, 100, InetAddress.getByName("127.0.0.1"));
      Thread acceptor = new Thread(this::acceptLoop, "gated-peer");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    String url() {
      return "ws://127.0.0.1:" + server.getLocalPort() + "/ws";
    }

    private void acceptLoop() {
      while (!server.isClosed()) {
        Socket socket;
        try {
          socket = server.accept();
        } catch (IOException e) {
          return;
        }
        sockets.add(socket);
        accepted.incrementAndGet();
        maxPending.accumulateAndGet(pending.incrementAndGet(), Math::max);
        Thread t = new Thread(() -> answer(socket), "gated-peer-conn");
        t.setDaemon(true);
        t.start();
      }
    }

    private void answer(Socket socket) {
      try {
        InputStream in = socket.getInputStream();
        StringBuilder request = new StringBuilder();
        while (request.indexOf("\r\n\r\n") < 0) {
          int b = in.read();
          if (b < 0) {
            return;
          }
          request.append((char) b);
        }
        Matcher m = KEY.matcher(request);
        if (!m.find() || !release.await(60, TimeUnit.SECONDS)) {
          return;
        }
        byte[] sha1 =
            MessageDigest.getInstance("SHA-1")
                .digest(
                    (m.group(1) + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11")
                        .getBytes(StandardCharsets.US_ASCII));
        OutputStream out = socket.getOutputStream();
        pending.decrementAndGet(); // counted down before the client can see its 101
        out.write(
            ("HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                    + "Sec-WebSocket-Accept: "
                    + Base64.getEncoder().encodeToString(sha1)
                    + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
      } catch (Exception e) {
        // the client went away
      }
    }

    @Override
    public void close() throws IOException {
      release.countDown();
      server.close();
      for (Socket s : sockets) {
        s.close();
      }
    }
  }
}
