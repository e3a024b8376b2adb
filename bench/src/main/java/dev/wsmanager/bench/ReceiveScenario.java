package dev.wsmanager.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 1: receive cost, manager (metrics on, a listener that does nothing) against raw OkHttp
 * listeners that only count, from a server that is several times faster than either client. Every
 * run is a fresh JVM; the summary compares CPU per message (the regression gate) and msg/s.
 */
public final class ReceiveScenario {
  private ReceiveScenario() {}

  /** One run's figures: messages, wall and CPU time of the client, CPU time of the server. */
  record Run(
      String side, long messages, long nanos, long clientCpu, long serverCpu, long warmMillis) {
    double rate() {
      return messages * 1e9 / nanos;
    }

    double clientNsPerMessage() {
      return (double) clientCpu / messages;
    }

    double serverNsPerMessage() {
      return (double) serverCpu / messages;
    }

    double clientCores() {
      return (double) clientCpu / nanos;
    }
  }

  static void run(Report report, Settings s) {
    long warm = s.quick() ? 500 : 1_000;
    long window = s.quick() ? 3_000 : 20_000;
    int pairs = s.pairs();
    StringBuilder details = new StringBuilder("## 1. Receive overhead\n\n");
    details.append(
        "The server process (its own JVM) completes the handshake and then writes pre-encoded"
            + " 100-byte text frames, 1 MiB per write call, from a blocking writer thread per"
            + " connection. The client is a JVM of its own per run: N raw OkHttp WebSockets (read"
            + " timeout 0, no pings) whose listener only counts, or one manager with N streams"
            + " (default metrics, no per-stream series, no pings) and a listener that does nothing."
            + " Each run discards a warm-up of at least "
            + warm
            + " ms that lasts until the JIT has compiled nothing for a second, then counts"
            + " messages over a "
            + window
            + " ms window (the warm-up's share of each run is given below). Runs alternate raw/manager, manager/raw; ratios are manager / raw"
            + " within each pair. CPU per message is the client JVM's CPU time"
            + " (`OperatingSystemMXBean.getProcessCpuTime()`, all threads: readers, GC, JIT) over"
            + " the window divided by the messages it received; the server's comes from"
            + " `/proc/PID/stat` over the same window. CPU per message moves much less than msg/s"
            + " when other processes take the cores, and it is the regression gate: the run exits"
            + " with status 1 when the manager's median CPU per message exceeds raw OkHttp's by"
            + " more than 3 %.\n\n");
    details.append(
        "The server's ceiling is read by plain sockets that complete the handshake and discard"
            + " the bytes (no frame parsing): what the server delivers when the client costs"
            + " almost nothing.\n\n");
    try (Support.Server server = Support.Server.start("flood")) {
      int port = server.ports[0];
      for (int n : new int[] {1, 100}) {
        String label = "1 receive, " + n + " stream" + (n == 1 ? "" : "s");
        details.append("### ").append(n).append(n == 1 ? " stream" : " streams").append("\n\n");
        Run ceiling = run(server, "ceiling", n, warm, Math.min(window, 5_000), port);
        details.append(
            "| pair | first | raw msg/s | manager msg/s | ratio | raw client ns/msg |"
                + " manager client ns/msg | CPU ratio | raw client cores | manager client cores"
                + " | raw server ns/msg | manager server ns/msg |\n"
                + "|---|---|---|---|---|---|---|---|---|---|---|---|\n");
        List<Double> rateRatios = new ArrayList<>();
        List<Double> cpuRatios = new ArrayList<>();
        List<Double> rawRates = new ArrayList<>();
        List<Double> mgrRates = new ArrayList<>();
        List<Double> rawNs = new ArrayList<>();
        List<Double> mgrNs = new ArrayList<>();
        List<Double> rawServerNs = new ArrayList<>();
        List<Double> mgrServerNs = new ArrayList<>();
        List<Double> taxRatios = new ArrayList<>();
        List<Double> warmShares = new ArrayList<>();
        boolean tax = n == 1 && !s.quick();
        for (int pair = 0; pair < pairs; pair++) {
          boolean rawFirst = pair % 2 == 0;
          Run a = run(server, rawFirst ? "raw" : "manager", n, warm, window, port);
          Run b = run(server, rawFirst ? "manager" : "raw", n, warm, window, port);
          Run raw = rawFirst ? a : b;
          Run mgr = rawFirst ? b : a;
          warmShares.add(100.0 * raw.warmMillis() / (raw.warmMillis() + window));
          warmShares.add(100.0 * mgr.warmMillis() / (mgr.warmMillis() + window));
          if (tax) {
            Run def = run(server, "raw-default", n, warm, window, port);
            taxRatios.add(def.clientNsPerMessage() / raw.clientNsPerMessage());
          }
          double rr = mgr.rate() / raw.rate();
          double cr = mgr.clientNsPerMessage() / raw.clientNsPerMessage();
          rateRatios.add(rr);
          cpuRatios.add(cr);
          rawRates.add(raw.rate());
          mgrRates.add(mgr.rate());
          rawNs.add(raw.clientNsPerMessage());
          mgrNs.add(mgr.clientNsPerMessage());
          rawServerNs.add(raw.serverNsPerMessage());
          mgrServerNs.add(mgr.serverNsPerMessage());
          details.append(
              Support.fmt(
                  "| %d | %s | %.0f | %.0f | %.3f | %.1f | %.1f | %.3f | %.2f | %.2f | %.1f | %.1f |%n",
                  pair + 1,
                  rawFirst ? "raw" : "manager",
                  raw.rate(),
                  mgr.rate(),
                  rr,
                  raw.clientNsPerMessage(),
                  mgr.clientNsPerMessage(),
                  cr,
                  raw.clientCores(),
                  mgr.clientCores(),
                  raw.serverNsPerMessage(),
                  mgr.serverNsPerMessage()));
        }
        Run ceilingAfter = run(server, "ceiling", n, warm, Math.min(window, 5_000), port);
        double ceilingRate = Math.min(ceiling.rate(), ceilingAfter.rate());
        details.append(
            Support.fmt(
                "%nServer ceiling (plain sockets discarding bytes), before and after the pairs:"
                    + " %.2f M and %.2f M msg/s, server %.1f and %.1f ns CPU/msg.%n%n",
                ceiling.rate() / 1e6,
                ceilingAfter.rate() / 1e6,
                ceiling.serverNsPerMessage(),
                ceilingAfter.serverNsPerMessage()));
        details.append(
            "Warm-up (until the JIT has been quiet for 1 s), as a share of each run: "
                + Support.Spread.of(warmShares).format("%.1f")
                + " %.\n\n");
        Support.Spread cpu = Support.Spread.of(cpuRatios);
        Support.Spread rate = Support.Spread.of(rateRatios);
        double rawMedian = Support.Spread.of(rawRates).median();
        report.row(
            label + ": server ceiling",
            "server ≥ 1.5 × raw OkHttp's client rate",
            Support.fmt(
                "%.2f M msg/s = %.2f × raw's %.2f M msg/s (server %.1f ns CPU/msg)",
                ceilingRate / 1e6,
                ceilingRate / rawMedian,
                rawMedian / 1e6,
                Support.Spread.of(rawServerNs).median()),
            ceilingRate >= 1.5 * rawMedian,
            "bench/run.sh --only 1");
        report.gate(
            label + ": CPU per message",
            "manager/raw client CPU per message ≤ 1.03 (gate: exit 1)",
            Support.Spread.of(rawNs).format("%.1f") + " ns/msg",
            Support.Spread.of(mgrNs).format("%.1f") + " ns/msg",
            cpu.format("%.3f") + ", " + rawNs.size() + " pairs",
            cpu.median() <= 1.03,
            "bench/run.sh --only 1");
        report.row(
            label + ": msg/s",
            "manager/raw msg/s ≥ 0.97",
            Support.Spread.of(rawRates.stream().map(v -> v / 1e6).toList()).format("%.2f")
                + " M msg/s",
            Support.Spread.of(mgrRates.stream().map(v -> v / 1e6).toList()).format("%.2f")
                + " M msg/s",
            rate.format("%.3f"),
            rate.median() >= 0.97,
            "bench/run.sh --only 1");
        if (tax) {
          Support.Spread t = Support.Spread.of(taxRatios);
          report.row(
              label + ": OkHttp's read-timeout tax",
              "for reference: raw with OkHttp's default readTimeout (10 s) / raw with 0, CPU/msg",
              t.format("%.3f"),
              true,
              "bench/run.sh --only 1");
          details.append(
              "OkHttp's read-timeout tax: raw OkHttp with its default 10 s read timeout, run after"
                  + " each pair, against the pair's raw run with 0: CPU per message ratio "
                  + t.format("%.3f")
                  + ".\n\n");
        }
      }
    }
    report.section(details.toString());
  }

  /**
   * One side alone, in this JVM, for profiling: {@code java
   * -XX:StartFlightRecording=filename=r.jfr -cp bench/target/benchmarks.jar
   * dev.wsmanager.bench.ReceiveScenario manager|raw STREAMS SECONDS}.
   */
  public static void main(String[] args) throws Exception {
    try (Support.Server server = Support.Server.start("flood")) {
      ReceiveRun.main(
          new String[] {
            args[0], args[1], "1000", Long.toString(Long.parseLong(args[2]) * 1000),
            Integer.toString(server.ports[0])
          });
    }
  }

  /** Starts one client JVM and reads its window, sampling the server's CPU time beside it. */
  static Run run(Support.Server server, String side, int n, long warm, long window, int port) {
    List<String> cmd =
        List.of(
            Support.javaBinary(System.getProperty("java.home")),
            "-Xms512m",
            "-Xmx512m",
            "-cp",
            System.getProperty("java.class.path"),
            ReceiveRun.class.getName(),
            side,
            Integer.toString(n),
            Long.toString(warm),
            Long.toString(window),
            Integer.toString(port));
    Process p = null;
    try {
      p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      long serverCpu0 = -1;
      long warmed = -1;
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("START ")) {
          serverCpu0 = Support.processCpuNanos(server.process.pid());
          warmed = Long.parseLong(line.substring(6).trim());
        } else if (line.startsWith("END ")) {
          long serverCpu1 = Support.processCpuNanos(server.process.pid());
          String[] f = line.split(" ");
          Run r =
              new Run(
                  side,
                  Long.parseLong(f[1]),
                  Long.parseLong(f[2]),
                  Long.parseLong(f[3]),
                  serverCpu1 - serverCpu0,
                  warmed);
          System.out.println(
              Support.fmt(
                  "  %s %d: %.0f msg/s, client %.1f ns/msg (%.2f cores), server %.1f ns/msg,"
                      + " warm-up %d ms",
                  side, n, r.rate(), r.clientNsPerMessage(), r.clientCores(),
                  r.serverNsPerMessage(), warmed));
          return r;
        }
      }
      throw new IllegalStateException("receive run " + side + " ended without a result");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } finally {
      if (p != null) {
        p.destroyForcibly();
        try {
          p.waitFor(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
    }
  }
}
