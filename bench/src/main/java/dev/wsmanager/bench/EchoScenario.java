package dev.wsmanager.bench;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.Request;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;

/**
 * Scenario 6: echo round trip with one message in flight. The listener sends the next message from
 * the reader thread as soon as the echo of the previous one arrives, on both sides.
 */
final class EchoScenario {
  private EchoScenario() {}

  /** Round trips of one run, after warm-up. */
  static final class PingPong {
    final long[] rtt;
    final int warm;
    int i;
    long sentAt;
    final CountDownLatch done = new CountDownLatch(1);

    PingPong(int warm, int measured) {
      this.warm = warm;
      this.rtt = new long[measured];
    }

    /** Records an echo; returns whether to send the next message (and stamps its send time). */
    boolean echoed() {
      long now = System.nanoTime();
      if (i >= warm) {
        rtt[i - warm] = now - sentAt;
      }
      i++;
      if (i < warm + rtt.length) {
        sentAt = System.nanoTime();
        return true;
      }
      done.countDown();
      return false;
    }

    long[] sorted() throws InterruptedException {
      if (!done.await(120, TimeUnit.SECONDS)) {
        throw new IllegalStateException("echo run did not finish: " + i);
      }
      long[] s = rtt.clone();
      Arrays.sort(s);
      return s;
    }
  }

  static void run(Report report, Settings s) throws InterruptedException {
    int warm = s.quick() ? 2_000 : 10_000;
    int measured = s.quick() ? 10_000 : 40_000;
    StringBuilder details = new StringBuilder("## 6. Echo round trip\n\n");
    details.append(
        Support.fmt(
            "One stream to an echo server (one NIO thread, its own process). One 100-byte text"
                + " message in flight: the listener sends the next one from the reader thread when the"
                + " echo arrives. %d round trips warm up each run, %d are measured.\n\n",
            warm, measured));
    details.append(
        "| pair | raw p50 µs | manager p50 µs | raw p99 µs | manager p99 µs |\n|---|---|---|---|---|\n");
    List<Double> addedP50 = new ArrayList<>();
    List<Double> p99Ratio = new ArrayList<>();
    try (Support.Server server = Support.Server.start("echo")) {
      rtts(server, false, warm, 2_000);
      rtts(server, true, warm, 2_000);
      for (int pair = 0; pair < s.pairs(); pair++) {
        long[] raw;
        long[] mgr;
        if (pair % 2 == 0) {
          raw = rtts(server, false, warm, measured);
          mgr = rtts(server, true, warm, measured);
        } else {
          mgr = rtts(server, true, warm, measured);
          raw = rtts(server, false, warm, measured);
        }
        double r50 = Support.percentile(raw, 50) / 1e3;
        double m50 = Support.percentile(mgr, 50) / 1e3;
        double r99 = Support.percentile(raw, 99) / 1e3;
        double m99 = Support.percentile(mgr, 99) / 1e3;
        addedP50.add(m50 - r50);
        p99Ratio.add(m99 / r99);
        details.append(
            Support.fmt("| %d | %.1f | %.1f | %.1f | %.1f |%n", pair + 1, r50, m50, r99, m99));
      }
    }
    Support.Spread added = Support.Spread.of(addedP50);
    Support.Spread ratio = Support.Spread.of(p99Ratio);
    report.row(
        "6 echo RTT, p50",
        "manager − raw ≤ 2 µs",
        added.format("%+.2f µs"),
        added.median() <= 2.0,
        "bench/run.sh --only 6");
    report.row(
        "6 echo RTT, p99",
        "manager/raw ≤ 1.05",
        ratio.format("%.3f"),
        ratio.median() <= 1.05,
        "bench/run.sh --only 6");
    report.section(details.toString());
  }

  private static long[] rtts(Support.Server server, boolean manager, int warm, int measured)
      throws InterruptedException {
    PingPong pp = new PingPong(warm, measured);
    String msg = SendScenario.MESSAGE;
    if (manager) {
      StreamListener listener =
          new StreamListener() {
            @Override
            public void onText(ManagedStream stream, String text) {
              if (pp.echoed()) {
                stream.send(msg);
              }
            }
          };
      try (WsManager m = Clients.manager("echo").build()) {
        ManagedStream stream =
            m.open(Clients.spec("echo", server.url(0)).listener(listener).build());
        Support.await(() -> stream.state() == StreamState.OPEN, 10_000);
        pp.sentAt = System.nanoTime();
        stream.send(msg);
        long[] out = pp.sorted();
        m.close(Duration.ZERO);
        return out;
      }
    }
    AtomicInteger opened = new AtomicInteger();
    WebSocketListener listener =
        new Clients.CountingListener(opened) {
          @Override
          public void onMessage(WebSocket webSocket, String text) {
            if (pp.echoed()) {
              webSocket.send(msg);
            }
          }
        };
    try (Clients.Raw raw = new Clients.Raw(Support.rawClient(null))) {
      WebSocket ws =
          raw.client.newWebSocket(new Request.Builder().url(server.url(0)).build(), listener);
      raw.sockets.add(ws);
      Support.await(() -> opened.get() == 1, 10_000);
      pp.sentAt = System.nanoTime();
      ws.send(msg);
      return pp.sorted();
    }
  }
}
