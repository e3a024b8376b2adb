package dev.wsmanager.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.io.UncheckedIOException;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 8 (own flag, {@code --scale}): as many idle streams as one JVM here holds, on JDK 25
 * with virtual threads, against raw OkHttp, with a full server outage; and the readings at several
 * sizes that the projection to 100,000 streams extrapolates from.
 */
final class ScaleScenario {
  private ScaleScenario() {}

  static void run(Report report, Settings s) {
    int top = s.quick() ? 2_000 : 19_000;
    // The largest first: it is the one that matters if the run has to be cut short.
    int[] order = s.quick() ? new int[] {2_000, 500} : new int[] {19_000, 1_000, 5_000, 10_000};
    int[] sizes = s.quick() ? new int[] {500, 2_000} : new int[] {1_000, 5_000, 10_000, 19_000};
    long window = s.quick() ? 5_000 : 40_000;
    int serverCount = s.quick() ? 2 : 4;
    int cores = Runtime.getRuntime().availableProcessors();
    StringBuilder details = new StringBuilder("## 8. Many streams in one JVM\n\n");
    details.append(
        Support.fmt(
            "One client JVM on JDK 25 (`-Xmx4g`, default G1) with virtual threads on both sides"
                + " (the manager with `virtualThreads(true)`, raw OkHttp with a virtual-thread"
                + " dispatcher executor); open files are limited to %s per process here, so the"
                + " streams go to %d server processes (one port each, the `echo` mode, which answers"
                + " pings). Pings every 20 s on both sides (the default); connect timeout 30 s (a"
                + " burst of thousands of handshakes on this loaded 2-core machine can take longer"
                + " than the default 10 s, and the manager redoes an attempt that times out, while"
                + " raw OkHttp with read timeout 0 just waits); the manager's admission"
                + " limit is raised to 20,000 connects/s (burst 2,000), raw OkHttp keeps 2,000"
                + " handshakes in flight. Readings after all are OPEN and 2 s of quiet: heap after"
                + " GC and VmRSS over the JVM's baseline (taken after one connection of each kind"
                + " was opened and closed), live platform threads; then CPU time over a %d s idle"
                + " window; then, for the manager, a scrape of its registry (default metrics) and"
                + " `streams()` (the snapshot of every stream), each the median of repeated calls."
                + " The outage: every server process is killed with SIGKILL, 2 s later new ones bind"
                + " the same ports; recovery is counted from their start, attempts both from their"
                + " start and from the moment all of them listen. Last, `close()` of"
                + " everything (the manager's, with its default 5 s close timeout: 1000 to every"
                + " stream, waiting for the servers' replies; raw: close(1000) on every socket and"
                + " the dispatcher shut down).%n%n",
            Support.openFilesLimit(), serverCount, window / 1000));
    details.append(
        "| client | streams | time to all OPEN ms | heap B/stream | RSS KiB/stream | RSS MiB |"
            + " platform threads (base) | idle CPU µs/stream/s | scrape µs | scrape bytes |"
            + " streams() µs | close ms | attempts/stream to open (failures) |\n"
            + "|---|---|---|---|---|---|---|---|---|---|---|---|---|\n");
    List<Map<String, String>> managerRuns = new ArrayList<>();
    Map<String, String> rawTop = null;
    Map<String, String> mgrTop = null;
    String groups = "";
    List<Support.Server> servers = startServers(serverCount, null);
    try {
      Map<Integer, Map<String, String>> bySize = new HashMap<>();
      for (int n : order) {
        boolean isTop = n == top;
        if (isTop) {
          rawTop = child("raw", n, window, false, servers);
          appendRow(details, "raw", n, rawTop);
          servers = restart(servers, 0); // fresh servers: no half-closed sockets left behind
        }
        Map<String, String> r = child("manager", n, window, isTop, servers);
        if (isTop) {
          mgrTop = r;
          servers = lastServers;
          groups = r.get("threadGroups");
        }
        bySize.put(n, r);
        appendRow(details, "manager", n, r);
        servers = restart(servers, 0);
      }
      for (int n : sizes) {
        managerRuns.add(bySize.get(n));
      }
    } finally {
      servers.forEach(Support.Server::close);
    }
    details.append('\n');
    details
        .append("Platform threads of the manager at ")
        .append(Support.fmt("%,d", top))
        .append(" streams, by name (digits folded): ")
        .append(groups.replace(",", ", "))
        .append(".\n\n");
    String cmd = "bench/run.sh --scale --only 8";
    String nTop = Support.fmt("%,d", top);
    long openMillis = Long.parseLong(mgrTop.get("openMillis"));
    report.row(
        "8 " + nTop + " idle streams, JDK 25: time to all OPEN",
        "≤ 20 s (admission limit raised)",
        Support.fmt(
            "manager %.1f s, raw %.1f s",
            openMillis / 1e3, Long.parseLong(rawTop.get("openMillis")) / 1e3),
        openMillis <= 20_000,
        cmd);
    double mRss = Double.parseDouble(mgrTop.get("rssPerStreamKiB"));
    double rRss = Double.parseDouble(rawTop.get("rssPerStreamKiB"));
    double mHeap = Double.parseDouble(mgrTop.get("heapPerStream"));
    double rHeap = Double.parseDouble(rawTop.get("heapPerStream"));
    report.row(
        "8 " + nTop + ": RSS and heap per stream",
        "for reference (both on virtual threads)",
        Support.fmt(
            "RSS manager %.1f KiB, raw %.1f KiB (%.2f); heap manager %.1f KiB, raw %.1f KiB (%+.0f B)",
            mRss, rRss, mRss / rRss, mHeap / 1024, rHeap / 1024, mHeap - rHeap),
        true,
        cmd);
    int threads = Integer.parseInt(mgrTop.get("platformThreads"));
    int base = Integer.parseInt(mgrTop.get("baseThreads"));
    report.row(
        "8 " + nTop + ": platform threads",
        "≤ 2×cores + O(1) beyond the JVM's own (2×cores = " + 2 * cores + ")",
        Support.fmt(
            "manager %d (%+d over the JVM's %d before the first stream), raw %s",
            threads, threads - base, base, rawTop.get("platformThreads")),
        threads - base <= 2 * cores + 8,
        cmd);
    Map<String, String> smallest = managerRuns.get(0);
    long scrapeBytesSmall = Long.parseLong(smallest.get("scrapeBytes"));
    long scrapeBytesTop = Long.parseLong(mgrTop.get("scrapeBytes"));
    report.row(
        "8 scrape, default metrics, " + Support.fmt("%,d", sizes[0]) + " vs " + nTop,
        "size constant; time small",
        Support.fmt(
            "%d vs %d bytes; %s vs %s µs; streams() %s vs %s µs",
            scrapeBytesSmall,
            scrapeBytesTop,
            smallest.get("scrapeMicros"),
            mgrTop.get("scrapeMicros"),
            smallest.get("snapshotMicros"),
            mgrTop.get("snapshotMicros")),
        Math.abs(scrapeBytesTop - scrapeBytesSmall) <= 64,
        cmd);
    long t99 = Long.parseLong(mgrTop.get("recover99Millis"));
    double attemptsFromStart = Double.parseDouble(mgrTop.get("attemptsPerStream"));
    double attempts = Double.parseDouble(mgrTop.get("attemptsPerStreamListening"));
    long cannot = Long.parseLong(mgrTop.get("cannotAssign"));
    report.row(
        "8 " + nTop + ": full outage, restart",
        "99 % OPEN ≤ 30 s; attempts/stream once the servers listen again ≤ 1.1; 0 `Cannot assign"
            + " requested address`",
        Support.fmt(
            "99 %% OPEN after %.1f s (all after %.1f s), timed from the replacement servers' start;"
                + " %.3f attempts/stream once they listen (%.3f counted from their start, which"
                + " includes attempts refused while their JVMs started); %d cannot-assign; all down"
                + " %.1f s after the kill",
            t99 / 1e3,
            Long.parseLong(mgrTop.get("recoverAllMillis")) / 1e3,
            attempts,
            attemptsFromStart,
            cannot,
            Long.parseLong(mgrTop.get("downMillis")) / 1e3),
        t99 >= 0 && t99 <= 30_000 && attempts >= 0 && attempts <= 1.1 && cannot == 0,
        cmd);
    long close = Long.parseLong(mgrTop.get("closeMillis"));
    report.row(
        "8 " + nTop + ": close()",
        "≤ 5 s",
        Support.fmt(
            "manager %.2f s, raw %.2f s",
            close / 1e3, Long.parseLong(rawTop.get("closeMillis")) / 1e3),
        close <= 5_000,
        cmd);
    Projection.append(report, details, sizes, managerRuns, rawTop, cmd);
    report.section(details.toString());
  }

  private static void appendRow(StringBuilder md, String side, int n, Map<String, String> r) {
    md.append(
        Support.fmt(
            "| %s | %,d | %s | %s | %s | %s | %s (%s) | %s | %s | %s | %s | %s | %s |%n",
            side,
            n,
            r.get("openMillis"),
            r.get("heapPerStream"),
            r.get("rssPerStreamKiB"),
            r.get("rssMiB"),
            r.get("platformThreads"),
            r.get("baseThreads"),
            r.get("idleCpuMicrosPerStreamSecond"),
            r.getOrDefault("scrapeMicros", "–"),
            r.getOrDefault("scrapeBytes", "–"),
            r.getOrDefault("snapshotMicros", "–"),
            r.get("closeMillis"),
            r.containsKey("openAttemptsPerStream")
                ? r.get("openAttemptsPerStream") + " (" + r.get("openFailures") + ")"
                : "–"));
    System.out.println("  " + side + " " + n + ": " + r);
  }

  private static List<Support.Server> lastServers;

  /** Starts the servers at once (each its own JVM) and returns when every one listens. */
  private static List<Support.Server> startServers(int count, List<Support.Server> samePorts) {
    List<java.util.concurrent.CompletableFuture<Support.Server>> starting = new ArrayList<>();
    for (int i = 0; i < count; i++) {
      String port = samePorts == null ? "0" : Integer.toString(samePorts.get(i).ports[0]);
      starting.add(
          java.util.concurrent.CompletableFuture.supplyAsync(
              () -> Support.Server.start("echo", port)));
    }
    List<Support.Server> servers = new ArrayList<>();
    for (java.util.concurrent.CompletableFuture<Support.Server> f : starting) {
      servers.add(f.join());
    }
    return servers;
  }

  /** Kills the servers and, after {@code gapMillis}, starts new ones on the same ports. */
  private static List<Support.Server> restart(List<Support.Server> servers, long gapMillis) {
    servers.forEach(Support.Server::kill);
    if (gapMillis > 0) {
      Support.sleep(gapMillis);
    }
    return startServers(servers.size(), servers);
  }

  private static Map<String, String> child(
      String side, int n, long window, boolean outage, List<Support.Server> servers) {
    List<String> cmd = new ArrayList<>();
    cmd.add(
        Support.javaBinary(System.getProperty("bench.jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64")));
    cmd.add("-Xmx4g");
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(ScaleRun.class.getName());
    cmd.add(side);
    cmd.add(Integer.toString(n));
    cmd.add(Long.toString(window));
    cmd.add(Boolean.toString(outage));
    for (Support.Server server : servers) {
      cmd.add(Integer.toString(server.ports[0]));
    }
    lastServers = servers;
    Map<String, String> result = new HashMap<>();
    Process p = null;
    try {
      p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
      Writer control = new OutputStreamWriter(p.getOutputStream(), StandardCharsets.UTF_8);
      BufferedReader out =
          new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      String line;
      while ((line = out.readLine()) != null) {
        if (line.equals("OUTAGE-READY")) {
          lastServers.forEach(Support.Server::kill);
          control.write("KILLED\n");
          control.flush();
        } else if (line.equals("DOWN")) {
          Support.sleep(2_000);
          // Recovery is timed from the moment the replacements start (their JVM start-up
          // included), so that no stream reconnects before the clock runs; attempts are counted
          // from then and, separately, from the moment every replacement listens.
          control.write("UP\n");
          control.flush();
          lastServers = startServers(lastServers.size(), lastServers);
          control.write("LISTENING\n");
          control.flush();
        } else if (line.startsWith("RESULT ")) {
          for (String kv : line.substring(7).split(" ")) {
            int eq = kv.indexOf('=');
            result.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
        }
      }
      p.waitFor(30, TimeUnit.SECONDS);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    } finally {
      if (p != null) {
        p.destroyForcibly();
      }
    }
    if (result.isEmpty()) {
      throw new IllegalStateException("scale run " + side + " " + n + " printed no result");
    }
    return result;
  }
}
