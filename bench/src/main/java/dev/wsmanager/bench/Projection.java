package dev.wsmanager.bench;

import java.util.List;
import java.util.Map;

/**
 * Scenario 8's projection: a least-squares line through the manager's readings, read at 100,000.
 */
final class Projection {
  private Projection() {}

  static final int TARGET = 100_000;

  /** A line {@code fixed + perStream × n}. */
  record Line(double fixed, double perStream) {
    static Line fit(int[] n, double[] y) {
      double mx = 0;
      double my = 0;
      for (int i = 0; i < n.length; i++) {
        mx += n[i];
        my += y[i];
      }
      mx /= n.length;
      my /= n.length;
      double sxy = 0;
      double sxx = 0;
      for (int i = 0; i < n.length; i++) {
        sxy += (n[i] - mx) * (y[i] - my);
        sxx += (n[i] - mx) * (n[i] - mx);
      }
      double slope = sxx == 0 ? 0 : sxy / sxx;
      return new Line(my - slope * mx, slope);
    }

    double at(int n) {
      return fixed + perStream * n;
    }
  }

  static void append(
      Report report,
      StringBuilder md,
      int[] sizes,
      List<Map<String, String>> runs,
      Map<String, String> rawTop,
      String cmd) {
    double[] rssMiB = new double[sizes.length];
    double[] heapMiB = new double[sizes.length];
    double[] idleCores = new double[sizes.length];
    double[] scrapeMs = new double[sizes.length];
    double[] snapshotMs = new double[sizes.length];
    double[] openS = new double[sizes.length];
    for (int i = 0; i < sizes.length; i++) {
      Map<String, String> r = runs.get(i);
      rssMiB[i] = Double.parseDouble(r.get("rssPerStreamKiB")) * sizes[i] / 1024;
      heapMiB[i] = Double.parseDouble(r.get("heapPerStream")) * sizes[i] / 1048576;
      idleCores[i] = Double.parseDouble(r.get("idleCores"));
      scrapeMs[i] = Double.parseDouble(r.get("scrapeMicros")) / 1e3;
      snapshotMs[i] = Double.parseDouble(r.get("snapshotMicros")) / 1e3;
      openS[i] = Double.parseDouble(r.get("openMillis")) / 1e3;
    }
    md.append("### Projection to 100,000 streams\n\n");
    md.append(
        "The manager's readings above, with a least-squares line `fixed + per stream × N` through"
            + " them, read at N = 100,000. A projection, not a measurement: it assumes the limits"
            + " below are raised and that nothing else grows faster than linearly (the readings up"
            + " to 19,000 show no sign of it).\n\n");
    md.append("| what |");
    for (int n : sizes) {
      md.append(Support.fmt(" %,d |", n));
    }
    md.append(" per stream | fixed | at 100,000 |\n|---|");
    md.append("---|".repeat(sizes.length)).append("---|---|---|\n");
    Line rss = row(md, "RSS over the JVM's baseline, MiB", sizes, rssMiB, "%.1f", 1024, "KiB");
    Line heap = row(md, "heap after GC over baseline, MiB", sizes, heapMiB, "%.1f", 1024, "KiB");
    Line cpu =
        row(md, "idle CPU, cores (pings every 20 s)", sizes, idleCores, "%.4f", 1e6, "µcores");
    Line scrape = row(md, "scrape (default metrics), ms", sizes, scrapeMs, "%.2f", 1e3, "µs");
    Line snap = row(md, "`streams()` snapshot, ms", sizes, snapshotMs, "%.2f", 1e3, "µs");
    Line open = row(md, "time to all OPEN, s", sizes, openS, "%.2f", 1e3, "ms");
    md.append('\n');
    md.append(
        Support.fmt(
            "Timer load at 100,000: OkHttp's ping task runs once per stream per ping interval, so"
                + " %,d pings and as many pongs a second at the default 20 s (%,d at 19,000); the"
                + " manager keeps no timer for an OPEN stream unless it has an idle timeout, and"
                + " then one check per stream per timeout (at 30 s: %,d a second), each a lock and"
                + " a compare on its single scheduler thread. Reconnecting after a full outage is"
                + " paced by the admission limit: at 20,000 connects/s, 100,000 streams need at"
                + " least 5 s; at the default limit (100/s, burst 100) 1,000 s.%n%n",
            TARGET / 20, 19_000 / 20, TARGET / 30));
    md.append(
        "Kernel and process settings for 100,000 streams in one JVM:\n\n"
            + "- **open files**: one descriptor per socket plus the JVM's own (~100): `ulimit -n"
            + " 131072` (systemd `LimitNOFILE=131072`; `fs.nr_open` must be at least that, 1,048,576"
            + " by default; `fs.file-max` covers every process on the host).\n"
            + "- **ephemeral ports**: a connection is unique by its 4-tuple, so the limit is per"
            + " destination address and port: the default `net.ipv4.ip_local_port_range` (32768–60999)"
            + " gives 28,232 connections to one `host:port`. Streams spread over many upstream hosts"
            + " need nothing more; 100,000 streams to one `host:port` need the range widened"
            + " (`1024 65535`: 64,512) and several local addresses (or several server ports), or they"
            + " fail with `Cannot assign requested address`. Reconnects do not pile up TIME_WAIT on the"
            + " client when the server closes first; when the client closes first (idle or ping"
            + " timeouts), `net.ipv4.tcp_tw_reuse=1` lets new outbound connections reuse them.\n"
            + "- **conntrack** (only where netfilter tracks connections, e.g. Docker/Kubernetes"
            + " hosts): `net.netfilter.nf_conntrack_max` at least 2 × the streams plus everything"
            + " else on the host (here 262,144), or new connections are dropped silently"
            + " (`nf_conntrack: table full` in the kernel log).\n"
            + "- **memory**: the RSS line above plus the heap's headroom: with virtual threads a"
            + " blocked reader's stack lives on the heap, so size `-Xmx` from the heap line"
            + " (twice the live heap for G1 is a safe start).\n"
            + "- **threads**: with virtual threads the platform threads stay at the JVM's own plus"
            + " the carriers (one per core) and OkHttp's connect pool; without them, one platform"
            + " thread per stream (`kernel.pid_max`, `kernel.threads-max`, `vm.max_map_count` and"
            + " 100,000 thread stacks), which is why 100,000 streams need JDK 21+ and"
            + " `virtualThreads(true)`.\n"
            + "- **admission**: raise `maxConnectsPerSecond` so that a full reconnect takes seconds,"
            + " not minutes (see above), within what the upstream accepts.\n\n");
    report.row(
        "8 projection to 100,000 streams",
        "for reference: extrapolated from 1k–19k",
        Support.fmt(
            "RSS %.1f GiB, heap %.1f GiB, idle CPU %.3f cores, scrape %.1f ms, streams() %.0f ms,"
                + " open %.0f s at 20,000/s",
            rss.at(TARGET) / 1024,
            heap.at(TARGET) / 1024,
            cpu.at(TARGET),
            scrape.at(TARGET),
            snap.at(TARGET),
            open.at(TARGET)),
        true,
        cmd);
  }

  private static Line row(
      StringBuilder md,
      String what,
      int[] sizes,
      double[] y,
      String fmt,
      double unitScale,
      String unit) {
    Line line = Line.fit(sizes, y);
    md.append("| ").append(what).append(" |");
    for (double v : y) {
      md.append(' ').append(Support.fmt(fmt, v)).append(" |");
    }
    md.append(
        Support.fmt(
            " %.2f %s | %s | %s |%n",
            line.perStream() * unitScale,
            unit,
            Support.fmt(fmt, line.fixed()),
            Support.fmt(fmt, line.at(TARGET))));
    return line;
  }
}
