package dev.wsmanager.bench;

import dev.wsmanager.WsManager;
import java.util.ArrayList;
import java.util.List;

/**
 * Scenario 1: messages received per second, manager (metrics on, a listener that does nothing)
 * against raw OkHttp listeners that only count, from a server pushing 100-byte text frames as fast
 * as loopback takes them.
 */
public final class ReceiveScenario {
  private ReceiveScenario() {}

  static void run(Report report, Settings s) {
    StringBuilder details = new StringBuilder("## 1. Receive overhead\n\n");
    details.append(
        "The server process writes pre-encoded 100-byte text frames to every socket as fast as the"
            + " socket takes them (one NIO thread). The client is either N raw OkHttp WebSockets whose"
            + " listener only counts, or one manager with N streams (default metrics, no per-stream"
            + " series) and a listener that does nothing. Each run warms up for "
            + s.warmMillis()
            + " ms, then counts messages over a "
            + s.windowMillis()
            + " ms window. Runs alternate A/B, B/A; the ratio is manager / raw within each pair.\n\n");
    details.append("| streams | pair | raw msg/s | manager msg/s | ratio |\n|---|---|---|---|---|\n");
    try (Support.Server server = Support.Server.start("flood")) {
      for (int n : new int[] {1, 100}) {
        measure(server, n, true); // warm-up of both paths, not recorded
        measure(server, n, false);
        List<Double> ratios = new ArrayList<>();
        List<Double> raws = new ArrayList<>();
        for (int pair = 0; pair < s.pairs(); pair++) {
          double raw;
          double mgr;
          if (pair % 2 == 0) {
            raw = rate(server, n, false, s);
            mgr = rate(server, n, true, s);
          } else {
            mgr = rate(server, n, true, s);
            raw = rate(server, n, false, s);
          }
          ratios.add(mgr / raw);
          raws.add(raw);
          details.append(
              Support.fmt("| %d | %d | %.0f | %.0f | %.3f |%n", n, pair + 1, raw, mgr, mgr / raw));
        }
        Support.Spread ratio = Support.Spread.of(ratios);
        report.row(
            "1 receive, " + n + " stream" + (n == 1 ? "" : "s"),
            "manager/raw msg/s ≥ 0.97",
            ratio.format("%.3f") + "; raw " + Support.fmt("%.2f", Support.Spread.of(raws).median() / 1e6)
                + " M msg/s",
            ratio.median() >= 0.97,
            "bench/run.sh --only 1");
      }
    }
    report.section(details.toString());
  }

  /**
   * One side alone, for profiling: {@code java -XX:StartFlightRecording=filename=r.jfr -cp
   * bench/target/benchmarks.jar dev.wsmanager.bench.ReceiveScenario manager|raw STREAMS SECONDS}.
   */
  public static void main(String[] args) {
    boolean manager = args[0].equals("manager");
    int n = Integer.parseInt(args[1]);
    long seconds = Long.parseLong(args[2]);
    try (Support.Server server = Support.Server.start("flood")) {
      double rate = rate(server, n, manager, new Settings(false, 1, 1_000, seconds * 1_000, null, null, null));
      System.out.println(Support.fmt("%s, %d streams: %.0f msg/s", args[0], n, rate));
    }
  }

  private static void measure(Support.Server server, int n, boolean manager) {
    rate(server, n, manager, new Settings(true, 1, 300, 500, null, null, null));
  }

  private static double rate(Support.Server server, int n, boolean manager, Settings s) {
    if (manager) {
      try (WsManager m = Clients.manager("receive").build()) {
        Clients.openAll(m, server, n);
        Support.sleep(s.warmMillis());
        long c0 = m.stats().messagesReceived();
        long t0 = System.nanoTime();
        Support.sleep(s.windowMillis());
        long c1 = m.stats().messagesReceived();
        long t1 = System.nanoTime();
        m.close(java.time.Duration.ZERO);
        return (c1 - c0) * 1e9 / (t1 - t0);
      }
    }
    try (Clients.Raw raw = new Clients.Raw(Support.rawClient(null))) {
      raw.openCounting(server, n);
      Support.sleep(s.warmMillis());
      long c0 = raw.received();
      long t0 = System.nanoTime();
      Support.sleep(s.windowMillis());
      long c1 = raw.received();
      long t1 = System.nanoTime();
      return (c1 - c0) * 1e9 / (t1 - t0);
    }
  }
}
