package dev.wsmanager.bench;

import dev.wsmanager.WsManager;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.lang.management.CompilationMXBean;
import java.lang.management.ManagementFactory;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.LongSupplier;

/**
 * One receive run in a JVM of its own, so that each side compiles its own hot path and its CPU time
 * is its own: {@code ReceiveRun SIDE STREAMS WARM_MS WINDOW_MS PORT}.
 *
 * <p>Sides: {@code raw} (OkHttp WebSockets whose listener only counts, read timeout 0), {@code
 * raw-default} (the same with OkHttp's default 10 s read timeout), {@code manager} (one manager,
 * default metrics, a listener that does nothing) and {@code ceiling} (plain sockets that complete
 * the handshake and then read and discard bytes: what the server can deliver). Prints {@code START}
 * when the warm-up ends and {@code END messages nanos cpuNanos} when the window closes.
 */
public final class ReceiveRun {
  private ReceiveRun() {}

  public static void main(String[] args) throws Exception {
    String side = args[0];
    int n = Integer.parseInt(args[1]);
    long warm = Long.parseLong(args[2]);
    long window = Long.parseLong(args[3]);
    int port = Integer.parseInt(args[4]);
    String url = "ws://127.0.0.1:" + port + "/ws";
    switch (side) {
      case "manager" -> {
        try (WsManager m = Clients.manager("receive").build()) {
          for (int i = 0; i < n; i++) {
            m.open(Clients.spec("s" + i, url).build());
          }
          if (!Support.await(() -> m.stats().activeConnections() == n, 60_000)) {
            throw new IllegalStateException("manager: not all streams opened");
          }
          measure(() -> m.stats().messagesReceived(), warm, window);
          m.close(Duration.ZERO);
        }
      }
      case "raw", "raw-default" -> {
        try (Clients.Raw raw =
            new Clients.Raw(
                side.equals("raw")
                    ? Support.rawClient(null)
                    : Support.rawClient(null)
                        .newBuilder()
                        .readTimeout(10, TimeUnit.SECONDS)
                        .build())) {
          for (int i = 0; i < n; i++) {
            raw.open(url, new Clients.CountingListener(raw.opened));
          }
          if (!Support.await(() -> raw.opened.get() == n, 60_000)) {
            throw new IllegalStateException("raw: not all sockets opened");
          }
          measure(raw::received, warm, window);
        }
      }
      case "ceiling" -> ceiling(n, port, warm, window);
      default -> throw new IllegalArgumentException("unknown side " + side);
    }
    System.out.flush();
    System.exit(0);
  }

  /**
   * Warms up for at least {@code warm} ms and until the JIT has compiled nothing for a second
   * (capped at 60 s), then measures a window of {@code window} ms. Under load the JIT takes much
   * longer than on a quiet machine, and its compiler threads' CPU time would otherwise land in the
   * window.
   */
  private static void measure(LongSupplier received, long warm, long window) {
    CompilationMXBean jit = ManagementFactory.getCompilationMXBean();
    long start = System.nanoTime();
    long lastCompile = -1;
    long quietSince = start;
    while (true) {
      Support.sleep(100);
      long now = System.nanoTime();
      long compile = jit.getTotalCompilationTime();
      if (compile != lastCompile) {
        lastCompile = compile;
        quietSince = now;
      }
      long elapsed = (now - start) / 1_000_000L;
      if (elapsed >= 60_000
          || (elapsed >= warm
              && (now - quietSince) >= 1_000_000_000L
              && received.getAsLong() > 0)) {
        break;
      }
    }
    long warmedMillis = (System.nanoTime() - start) / 1_000_000L;
    long c0 = received.getAsLong();
    long cpu0 = Support.processCpuNanos();
    long t0 = System.nanoTime();
    System.out.println("START " + warmedMillis);
    System.out.flush();
    Support.sleep(window);
    long c1 = received.getAsLong();
    long cpu1 = Support.processCpuNanos();
    long t1 = System.nanoTime();
    System.out.println("END " + (c1 - c0) + " " + (t1 - t0) + " " + (cpu1 - cpu0));
    System.out.flush();
  }

  /** Plain sockets: the handshake, then reads into a 1 MiB array that nobody looks at. */
  private static void ceiling(int n, int port, long warm, long window) throws IOException {
    LongAdder bytes = new LongAdder();
    List<Socket> sockets = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      Socket s = new Socket();
      s.connect(new InetSocketAddress("127.0.0.1", port));
      sockets.add(s);
      OutputStream out = s.getOutputStream();
      out.write(
          ("GET /ws HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                  + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n")
              .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      InputStream in = s.getInputStream();
      int matched = 0;
      while (matched < 4) { // skip the 101 response up to its blank line
        int b = in.read();
        if (b < 0) {
          throw new IOException("server closed during the handshake");
        }
        matched = (b == (matched % 2 == 0 ? '\r' : '\n')) ? matched + 1 : (b == '\r' ? 1 : 0);
      }
      Thread reader =
          new Thread(
              () -> {
                byte[] buf = new byte[1 << 20];
                try {
                  int r;
                  while ((r = in.read(buf)) >= 0) {
                    bytes.add(r);
                  }
                } catch (IOException e) {
                  throw new UncheckedIOException(e);
                }
              },
              "ceiling-" + i);
      reader.setDaemon(true);
      reader.start();
    }
    int frame = 2 + LoopbackServer.FRAME_PAYLOAD;
    measure(() -> bytes.sum() / frame, warm, window);
  }
}
