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
    details.append(
        "The second ratio divides messages by the client process's CPU time over the same window"
            + " (`OperatingSystemMXBean.getProcessCpuTime()`): it says what each message costs the"
            + " client, and moves less than msg/s when other processes take the cores.\n\n");
    details.append(
        "| streams | pair | raw msg/s | manager msg/s | ratio | raw msg/CPU-s | manager msg/CPU-s | ratio |\n"
            + "|---|---|---|---|---|---|---|---|\n");
    try (Support.Server server = Support.Server.start("flood")) {
      for (int n : new int[] {1, 100}) {
        measure(server, n, true); // warm-up of both paths, not recorded
        measure(server, n, false);
        List<Double> ratios = new ArrayList<>();
        List<Double> cpuRatios = new ArrayList<>();
        List<Double> raws = new ArrayList<>();
        int pairs = s.quick() ? s.pairs() : s.pairs() + 2;
        for (int pair = 0; pair < pairs; pair++) {
          double[] raw;
          double[] mgr;
          if (pair % 2 == 0) {
            raw = rate(server, n, false, s);
            mgr = rate(server, n, true, s);
          } else {
            mgr = rate(server, n, true, s);
            raw = rate(server, n, false, s);
          }
          ratios.add(mgr[0] / raw[0]);
          cpuRatios.add(mgr[1] / raw[1]);
          raws.add(raw[0]);
          details.append(
              Support.fmt(
                  "| %d | %d | %.0f | %.0f | %.3f | %.0f | %.0f | %.3f |%n",
                  n, pair + 1, raw[0], mgr[0], mgr[0] / raw[0], raw[1], mgr[1], mgr[1] / raw[1]));
        }
        Support.Spread ratio = Support.Spread.of(ratios);
        report.row(
            "1 receive, " + n + " stream" + (n == 1 ? "" : "s"),
            "manager/raw msg/s ≥ 0.97",
            ratio.format("%.3f") + "; per CPU-second " + Support.Spread.of(cpuRatios).format("%.3f")
                + "; raw " + Support.fmt("%.2f", Support.Spread.of(raws).median() / 1e6) + " M msg/s",
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
      double[] rate = rate(server, n, manager, new Settings(false, 1, 1_000, seconds * 1_000, null, null, null));
      System.out.println(
          Support.fmt("%s, %d streams: %.0f msg/s, %.0f msg/CPU-s", args[0], n, rate[0], rate[1]));
    }
  }

  private static void measure(Support.Server server, int n, boolean manager) {
    rate(server, n, manager, new Settings(true, 1, 300, 500, null, null, null));
  }

  /** Messages per second, and messages per second of this process's CPU time. */
  private static double[] rate(Support.Server server, int n, boolean manager, Settings s) {
    if (manager) {
      try (WsManager m = Clients.manager("receive").build()) {
        Clients.openAll(m, server, n);
        double[] r = window(() -> m.stats().messagesReceived(), s);
        m.close(java.time.Duration.ZERO);
        return r;
      }
    }
    try (Clients.Raw raw = new Clients.Raw(Support.rawClient(null))) {
      raw.openCounting(server, n);
      return window(raw::received, s);
    }
  }

  private static double[] window(java.util.function.LongSupplier received, Settings s) {
    Support.sleep(s.warmMillis());
    long c0 = received.getAsLong();
    long cpu0 = Support.processCpuNanos();
    long t0 = System.nanoTime();
    Support.sleep(s.windowMillis());
    long c1 = received.getAsLong();
    long cpu1 = Support.processCpuNanos();
    long t1 = System.nanoTime();
    return new double[] {(c1 - c0) * 1e9 / (t1 - t0), (c1 - c0) * 1e9 / (cpu1 - cpu0)};
  }
}
