package dev.wsmanager.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Scenario 3: the footprint of idle streams, each configuration in a fresh JVM ({@link
 * IdleFootprint}), raw and manager alternating, against one idle server process listening on two
 * ports.
 */
final class IdleScenario {
  private IdleScenario() {}

  /** One configuration: which JDK, which client, which threads. */
  record Config(String label, String jdkHome, String client, String threads) {}

  static void run(Report report, Settings s) throws IOException, InterruptedException {
    int n = s.quick() ? 2_000 : 10_000;
    int cores = Runtime.getRuntime().availableProcessors();
    StringBuilder details = new StringBuilder("## 3. Idle footprint\n\n");
    details.append(
        Support.fmt(
            "%,d idle connections to one server process listening on two ports (no pings on"
                + " either side). Each run is a fresh JVM (`-Xmx4g`, default G1) that first opens"
                + " and closes one connection with each client (class loading and JIT out of the"
                + " way), takes a baseline, opens the connections, waits 1 s, and takes the same"
                + " readings again: heap used after three `System.gc()` calls, VmRSS from"
                + " `/proc/self/status`, and `ThreadMXBean.getThreadCount()` (live platform"
                + " threads; virtual threads are not counted). Raw OkHttp uses the same dispatcher"
                + " as the manager: `maxRequests` and `maxRequestsPerHost` raised to"
                + " `Integer.MAX_VALUE`, the same executor kind. Pairs alternate raw / manager.\n\n",
            n));
    StringBuilder table = new StringBuilder();
    table.append(
        "| JDK | client | threads | heap B/stream | RSS KiB/stream | platform threads | base threads |"
            + " connect ms | pinned events |\n|---|---|---|---|---|---|---|---|---|\n");
    StringBuilder notes = new StringBuilder();
    StringBuilder groups =
        new StringBuilder("Largest groups of live platform threads (digits folded to N):\n\n");
    List<Config[]> comparisons =
        List.of(
            new Config[] {
              new Config("17", s.jdk17(), "raw", "platform"),
              new Config("17", s.jdk17(), "manager", "platform")
            },
            new Config[] {
              new Config("25", s.jdk25(), "raw", "virtual"),
              new Config("25", s.jdk25(), "manager", "virtual")
            },
            // OkHttp as users run it (its dispatcher's platform threads) against the manager with
            // virtual threads: the memory goal on JDK 21+.
            new Config[] {
              new Config("25", s.jdk25(), "raw", "platform"),
              new Config("25", s.jdk25(), "manager", "virtual")
            });
    try (Support.Server server = Support.Server.start("idle", "0", "0")) {
      for (Config[] cmp : comparisons) {
        List<Double> heapDelta = new ArrayList<>();
        List<Double> rssRatio = new ArrayList<>();
        boolean mixed = !cmp[0].threads().equals(cmp[1].threads());
        Map<String, List<Double>> threads = new HashMap<>();
        Map<String, List<Double>> rss = new HashMap<>();
        Map<String, List<Double>> heap = new HashMap<>();
        String pinned = "";
        List<Double> ownThreads = new ArrayList<>();
        for (int pair = 0; pair < s.pairs(); pair++) {
          Map<String, String> raw;
          Map<String, String> mgr;
          if (pair % 2 == 0) {
            raw = child(cmp[0], n, server);
            mgr = child(cmp[1], n, server);
          } else {
            mgr = child(cmp[1], n, server);
            raw = child(cmp[0], n, server);
          }
          for (var e : List.of(Map.entry(cmp[0], raw), Map.entry(cmp[1], mgr))) {
            Config c = e.getKey();
            Map<String, String> r = e.getValue();
            table.append(
                Support.fmt(
                    "| %s | %s | %s | %s | %s | %s | %s | %s | %s |%n",
                    c.label(),
                    c.client(),
                    c.threads(),
                    r.get("heapPerStream"),
                    r.get("rssPerStreamKiB"),
                    r.get("platformThreads"),
                    r.get("baseThreads"),
                    r.get("connectMillis"),
                    r.get("pinned")));
            threads
                .computeIfAbsent(c.client(), k -> new ArrayList<>())
                .add(Double.parseDouble(r.get("platformThreads")));
            rss.computeIfAbsent(c.client(), k -> new ArrayList<>())
                .add(Double.parseDouble(r.get("rssPerStreamKiB")));
            heap.computeIfAbsent(c.client(), k -> new ArrayList<>())
                .add(Double.parseDouble(r.get("heapPerStream")));
            if (c.client().equals("manager") && c.threads().equals("virtual")) {
              pinned = r.get("pinned");
              ownThreads.add(
                  Double.parseDouble(r.get("platformThreads"))
                      - Double.parseDouble(r.get("baseThreads"))
                      - group(r.get("threadGroups"), "OkHttp_TaskRunner"));
            }
            groups.append(
                Support.fmt(
                    "- JDK %s %s, pair %d: %s%n",
                    c.label(), c.client(), pair + 1, r.get("threadGroups").replace(",", ", ")));
          }
          heapDelta.add(
              Double.parseDouble(mgr.get("heapPerStream"))
                  - Double.parseDouble(raw.get("heapPerStream")));
          rssRatio.add(
              Double.parseDouble(mgr.get("rssPerStreamKiB"))
                  / Double.parseDouble(raw.get("rssPerStreamKiB")));
        }
        Config m = cmp[1];
        if (mixed) {
          Support.Spread ratio = Support.Spread.of(rssRatio);
          report.row(
              "3 idle RSS, JDK 25, "
                  + Support.fmt("%,d", n)
                  + ": manager (virtual threads) vs raw OkHttp (platform threads)",
              "manager/raw RSS per stream ≤ 0.5",
              Support.fmt(
                  "%s (raw %.1f KiB, manager %.1f KiB per stream)",
                  ratio.format("%.2f"),
                  Support.Spread.of(rss.get("raw")).median(),
                  Support.Spread.of(rss.get("manager")).median()),
              ratio.median() <= 0.5,
              "bench/run.sh --only 3");
          notes.append(
              Support.fmt(
                  "- JDK 25, raw on platform threads against the manager on virtual threads: RSS"
                      + " per stream, raw %s KiB, manager %s KiB.%n",
                  Support.Spread.of(rss.get("raw")).format("%.1f"),
                  Support.Spread.of(rss.get("manager")).format("%.1f")));
          continue;
        }
        Support.Spread delta = Support.Spread.of(heapDelta);
        report.row(
            "3 idle heap, JDK "
                + m.label()
                + (m.threads().equals("virtual") ? " virtual threads" : "")
                + ", "
                + Support.fmt("%,d", n),
            "manager ≤ raw + 2 KiB/stream",
            Support.fmt(
                "%s B/stream over raw (raw %.1f KiB, manager %.1f KiB)",
                delta.format("%+.0f"),
                Support.Spread.of(heap.get("raw")).median() / 1024,
                Support.Spread.of(heap.get("manager")).median() / 1024),
            delta.median() <= 2048,
            "bench/run.sh --only 3");
        Support.Spread mThreads = Support.Spread.of(threads.get("manager"));
        Support.Spread rThreads = Support.Spread.of(threads.get("raw"));
        if (m.label().equals("17")) {
          report.row(
              "3 idle threads, JDK 17",
              "≤ 1 platform thread/stream + O(1)",
              Support.fmt(
                  "%s for %,d streams (raw %s)",
                  mThreads.format("%.0f"), n, rThreads.format("%.0f")),
              mThreads.median() <= n + 64,
              "bench/run.sh --only 3");
        } else {
          // Streams' own platform threads: all but the JVM's before the first stream opened and
          // OkHttp's TaskRunner pool, whose threads serve the connect burst and idle out after 60
          // s.
          Map<String, String> small = child(m, n / 10, server);
          table.append(
              Support.fmt(
                  "| %s | %s, %,d streams | %s | %s | %s | %s | %s | %s | %s |%n",
                  m.label(),
                  m.client(),
                  n / 10,
                  m.threads(),
                  small.get("heapPerStream"),
                  small.get("rssPerStreamKiB"),
                  small.get("platformThreads"),
                  small.get("baseThreads"),
                  small.get("connectMillis"),
                  small.get("pinned")));
          Support.Spread own = Support.Spread.of(ownThreads);
          report.row(
              "3 idle threads, JDK 25 virtualThreads(true)",
              "platform threads ≤ 2×cores + O(1), independent of N",
              Support.fmt(
                  "%s beyond the JVM's own and OkHttp's idle TaskRunner pool (2×cores = %d); all"
                      + " platform threads %s at %,d, %s at %,d; pinned events: %s",
                  own.format("%.0f"),
                  2 * cores,
                  mThreads.format("%.0f"),
                  n,
                  small.get("platformThreads"),
                  n / 10,
                  pinned),
              own.max() <= 2 * cores,
              "bench/run.sh --only 3");
        }
        notes.append(
            Support.fmt(
                "- JDK %s, %s threads on both sides: RSS per stream, raw %s KiB, manager %s KiB"
                    + " (manager/raw %s).%n",
                m.label(),
                m.threads(),
                Support.Spread.of(rss.get("raw")).format("%.1f"),
                Support.Spread.of(rss.get("manager")).format("%.1f"),
                Support.Spread.of(rssRatio).format("%.2f")));
      }
    }
    details.append(table).append('\n').append(notes).append('\n').append(groups).append('\n');
    report.section(details.toString());
  }

  private static int group(String groups, String name) {
    for (String g : groups.split(",")) {
      if (g.startsWith(name + ":")) {
        return Integer.parseInt(g.substring(name.length() + 1));
      }
    }
    return 0;
  }

  private static Map<String, String> child(Config c, int n, Support.Server server)
      throws IOException, InterruptedException {
    List<String> cmd = new ArrayList<>();
    cmd.add(Support.javaBinary(c.jdkHome()));
    cmd.add("-Xmx4g");
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.add("-cp");
    cmd.add(System.getProperty("java.class.path"));
    cmd.add(IdleFootprint.class.getName());
    cmd.add(c.client());
    cmd.add(c.threads());
    cmd.add(Integer.toString(n));
    for (int port : server.ports) {
      cmd.add(Integer.toString(port));
    }
    Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    Map<String, String> result = new HashMap<>();
    try (BufferedReader out =
        new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = out.readLine()) != null) {
        if (line.startsWith("RESULT ")) {
          for (String kv : line.substring(7).split(" ")) {
            int eq = kv.indexOf('=');
            result.put(kv.substring(0, eq), kv.substring(eq + 1));
          }
        }
      }
    }
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
    }
    if (result.isEmpty()) {
      throw new IllegalStateException("idle footprint run " + c + " printed no result");
    }
    // Let the server notice the closed sockets before the next run connects.
    Support.sleep(500);
    return result;
  }
}
