package dev.wsmanager.bench;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import okhttp3.WebSocket;

/**
 * Scenario 2: messages sent per second (manager {@code send} against raw {@code send} behind the
 * same queue-size guard), and what happens when the peer stops reading: OkHttp closes a WebSocket
 * with 1001 once its 16 MiB queue would overflow; the manager's {@code send} returns false first.
 */
final class SendScenario {
  private SendScenario() {}

  static final String MESSAGE =
      new String(LoopbackServer.payload(100), java.nio.charset.StandardCharsets.US_ASCII);
  static final long LIMIT = StreamSpec.DEFAULT_MAX_QUEUED_BYTES;

  static void run(Report report, Settings s) {
    StringBuilder details = new StringBuilder("## 2. Send\n\n");
    details.append(
        "One stream to a server that reads and discards. One thread sends 100-byte text messages"
            + " in a loop for the whole run; raw OkHttp sends only while `queueSize() + 100 <= "
            + LIMIT
            + "` (the manager's default `maxQueuedBytes`), the manager calls `send()`; both park for 20 µs when refused. Counted: messages accepted during the window after warm-up, so both"
            + " sides run with a full queue and measure the steady state.\n\n");
    details.append("| pair | raw msg/s | manager msg/s | ratio |\n|---|---|---|---|\n");
    List<Double> ratios = new ArrayList<>();
    try (Support.Server server = Support.Server.start("drain")) {
      rate(server, true, new Settings(true, 1, 300, 500, null, null, null));
      rate(server, false, new Settings(true, 1, 300, 500, null, null, null));
      for (int pair = 0; pair < s.pairs(); pair++) {
        double raw;
        double mgr;
        if (pair % 2 == 0) {
          raw = rate(server, false, s);
          mgr = rate(server, true, s);
        } else {
          mgr = rate(server, true, s);
          raw = rate(server, false, s);
        }
        ratios.add(mgr / raw);
        details.append(Support.fmt("| %d | %.0f | %.0f | %.3f |%n", pair + 1, raw, mgr, mgr / raw));
      }
    }
    Support.Spread ratio = Support.Spread.of(ratios);
    report.row(
        "2 send",
        "manager/raw msg/s ≥ 0.95",
        ratio.format("%.3f"),
        ratio.median() >= 0.95,
        "bench/run.sh --only 2");

    Backpressure managed;
    Backpressure raw;
    try (Support.Server server = Support.Server.start("stall")) {
      managed = managerStalled(server);
      raw = rawStalled(server);
    }
    details.append("\n### Back-pressure against a peer that stops reading\n\n");
    details.append(
        "The server completes the handshake and never reads again. 1 KiB messages are sent until"
            + " `send` has returned false 10,000 times in a row (or 5 s pass).\n\n");
    details.append(
        "| client | accepted | refused | most bytes queued | closes | stream state after |\n");
    details.append("|---|---|---|---|---|---|\n");
    details.append(managed.row("manager `send()`")).append(raw.row("raw `send()`, no guard"));
    details.append(
        "\nRaw OkHttp returns false once the 16 MiB queue would overflow *and* starts a 1001 close:"
            + " the connection is lost. The manager refuses at its `maxQueuedBytes` (8 MiB by default),"
            + " exposes the backlog through `queuedBytes()`, and the connection stays open.\n\n");
    report.row(
        "2 send, peer stops reading",
        "0 closes (1001); send() returns false",
        managed.closes
            + " closes, "
            + managed.refused
            + " refused, queued ≤ "
            + Support.fmt("%.1f MiB", managed.maxQueued / 1048576.0),
        managed.closes == 0 && managed.refused > 0 && managed.stateAfter.equals("OPEN"),
        "bench/run.sh --only 2");
    report.section(details.toString());
  }

  private static double rate(Support.Server server, boolean manager, Settings s) {
    if (manager) {
      try (WsManager m = Clients.manager("send").build()) {
        ManagedStream stream = Clients.openAll(m, server, 1).get(0);
        return sendLoop(() -> stream.send(MESSAGE), s);
      }
    }
    try (Clients.Raw raw = new Clients.Raw(Support.rawClient(null))) {
      raw.openCounting(server, 1);
      WebSocket ws = raw.sockets.get(0);
      return sendLoop(() -> ws.queueSize() + MESSAGE.length() <= LIMIT && ws.send(MESSAGE), s);
    }
  }

  private static double sendLoop(java.util.function.BooleanSupplier send, Settings s) {
    long start = System.nanoTime();
    long windowStart = start + s.warmMillis() * 1_000_000L;
    long end = windowStart + s.windowMillis() * 1_000_000L;
    long sentAtWindow = -1;
    long sent = 0;
    long now;
    while ((now = System.nanoTime()) < end) {
      for (int i = 0; i < 64; i++) {
        if (send.getAsBoolean()) {
          sent++;
        } else {
          LockSupport.parkNanos(20_000); // queue full: let the writer drain
        }
      }
      if (sentAtWindow < 0 && now >= windowStart) {
        sentAtWindow = sent;
      }
    }
    return (sent - sentAtWindow) * 1e9 / (now - windowStart);
  }

  record Backpressure(long accepted, long refused, long maxQueued, int closes, String stateAfter) {
    String row(String client) {
      return Support.fmt(
          "| %s | %d | %d | %.2f MiB | %d | %s |%n",
          client, accepted, refused, maxQueued / 1048576.0, closes, stateAfter);
    }
  }

  private static Backpressure managerStalled(Support.Server server) {
    AtomicInteger closes = new AtomicInteger();
    StreamListener listener =
        new StreamListener() {
          @Override
          public void onStateChange(ManagedStream stream, StreamState from, StreamState to) {
            if (from == StreamState.OPEN) {
              closes.incrementAndGet();
            }
          }
        };
    try (WsManager m = Clients.manager("stall").build()) {
      ManagedStream stream =
          m.open(Clients.spec("stall", server.url(0)).listener(listener).build());
      Support.await(() -> stream.state() == StreamState.OPEN, 10_000);
      String kib = MESSAGE.repeat(10) + "x".repeat(24);
      long accepted = 0;
      long refused = 0;
      long maxQueued = 0;
      int refusedInARow = 0;
      long end = System.nanoTime() + 5_000_000_000L;
      while (refusedInARow < 10_000 && System.nanoTime() < end) {
        if (stream.send(kib)) {
          accepted++;
          refusedInARow = 0;
        } else {
          refused++;
          refusedInARow++;
        }
        maxQueued = Math.max(maxQueued, stream.queuedBytes());
      }
      Support.sleep(200);
      String state = stream.state().toString();
      int closed = closes.get();
      m.close(Duration.ZERO);
      return new Backpressure(accepted, refused, maxQueued, closed, state);
    }
  }

  private static Backpressure rawStalled(Support.Server server) {
    try (Clients.Raw raw = new Clients.Raw(Support.rawClient(null))) {
      raw.openCounting(server, 1);
      WebSocket ws = raw.sockets.get(0);
      String kib = MESSAGE.repeat(10) + "x".repeat(24);
      long accepted = 0;
      long refused = 0;
      long maxQueued = 0;
      int refusedInARow = 0;
      long end = System.nanoTime() + 5_000_000_000L;
      while (refusedInARow < 10_000 && System.nanoTime() < end) {
        if (ws.send(kib)) {
          accepted++;
          refusedInARow = 0;
        } else {
          refused++;
          refusedInARow++;
        }
        maxQueued = Math.max(maxQueued, ws.queueSize());
      }
      // OkHttp refuses only after it has begun its 1001 close: every later send fails too.
      int closes = refused > 0 ? 1 : 0;
      return new Backpressure(accepted, refused, maxQueued, closes, "closing (1001)");
    }
  }
}
