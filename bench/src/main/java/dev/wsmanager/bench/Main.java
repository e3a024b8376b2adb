package dev.wsmanager.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Arrays;
import java.util.HashSet;
import java.util.Set;

/**
 * Runs every scenario and writes the results as Markdown.
 *
 * <p>Usage: {@code Main [--quick] [--scale] [--only 1,3] [--out docs/performance.md] [--command
 * "..."]}; {@code --scale} adds scenario 8 (19,000 streams in one JVM).
 * System properties {@code bench.jdk17} and {@code bench.jdk25} name the JDK homes for the idle
 * footprint runs.
 */
public final class Main {
  private Main() {}

  public static void main(String[] args) throws Exception {
    boolean quick = false;
    boolean scale = false;
    Set<String> only = null;
    Path out = null;
    String command = "bench/run.sh";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--quick" -> quick = true;
        case "--scale" -> scale = true;
        case "--only" -> only = new HashSet<>(Arrays.asList(args[++i].split(",")));
        case "--out" -> out = Path.of(args[++i]);
        case "--command" -> command = args[++i];
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    Settings s =
        new Settings(
            quick,
            quick ? 2 : 5,
            quick ? 700 : 1_500,
            quick ? 1_000 : 3_000,
            System.getProperty("bench.jdk17", "/usr/lib/jvm/java-17-openjdk-amd64"),
            System.getProperty("bench.jdk25", "/usr/lib/jvm/temurin-25-jdk-amd64"),
            only);
    Report report = new Report();
    long started = System.nanoTime();
    if (s.runs("1")) {
      ReceiveScenario.run(report, s);
    }
    if (s.runs("2")) {
      SendScenario.run(report, s);
    }
    if (s.runs("3")) {
      IdleScenario.run(report, s);
    }
    if (s.runs("4")) {
      ScrapeScenario.run(report, s);
    }
    if (s.runs("5")) {
      StormScenario.run(report, s);
    }
    if (s.runs("6")) {
      EchoScenario.run(report, s);
    }
    if (s.runs("7")) {
      AccountingScenario.run(report, s);
    }
    // Many streams: long and heavy on the machine, so only when asked for.
    if (scale && s.runs("8")) {
      ScaleScenario.run(report, s);
    }
    long seconds = (System.nanoTime() - started) / 1_000_000_000L;
    System.out.println("finished in " + seconds + " s");
    if (out != null) {
      Files.writeString(out, markdown(report, s, command, seconds), StandardCharsets.UTF_8);
      System.out.println("wrote " + out);
    }
    if (!report.failedGates.isEmpty()) {
      System.err.println("REGRESSION: " + String.join("; ", report.failedGates));
      System.exit(1);
    }
  }

  static String markdown(Report report, Settings s, String command, long seconds)
      throws IOException {
    StringBuilder md = new StringBuilder();
    md.append("# Performance\n\n");
    md.append(
        "ws-manager measured side by side with raw OkHttp on one machine, A and B alternating in the"
            + " same run. Every figure is the median over the pairs, with the range (min–max) in"
            + " brackets; ratios are taken within each pair. Regenerate this page with `"
            + command
            + "`; `bench/run.sh --quick` is a shorter smoke run.\n\n");
    md.append("## Summary\n\n");
    md.append(
        "| scenario | goal | raw OkHttp | manager | ratio, median (min–max) | pass/miss | command"
            + " |\n");
    md.append("|---|---|---|---|---|---|---|\n");
    for (Report.Row r : report.rows) {
      md.append("| ")
          .append(r.scenario())
          .append(" | ")
          .append(r.goal())
          .append(" | ")
          .append(r.raw())
          .append(" | ")
          .append(r.manager())
          .append(" | ")
          .append(r.measured())
          .append(" | ")
          .append(r.pass() ? "pass" : "**miss**")
          .append(" | `")
          .append(r.command())
          .append("` |\n");
    }
    md.append("\n## Machine and versions\n\n");
    md.append("| what | value |\n|---|---|\n");
    md.append("| CPUs (nproc) | ").append(Runtime.getRuntime().availableProcessors()).append(" |\n");
    md.append("| CPU model | ").append(cpuModel()).append(" |\n");
    md.append("| memory | ").append(memTotal()).append(" |\n");
    md.append("| load average at the end | ").append(loadAverage()).append(" |\n");
    md.append("| kernel clock source | ").append(clockSource()).append(" |\n");
    md.append("| JDK running the harness | ")
        .append(System.getProperty("java.vm.name"))
        .append(' ')
        .append(System.getProperty("java.runtime.version"))
        .append(" |\n");
    md.append("| JDKs of the idle-footprint runs | ")
        .append(Versions.jdk(s.jdk17()))
        .append("; ")
        .append(Versions.jdk(s.jdk25()))
        .append(" |\n");
    md.append("| JVM flags of the harness | `")
        .append(String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()))
        .append("` |\n");
    md.append("| libraries | ").append(Versions.libraries()).append(" |\n");
    md.append("| run | ")
        .append(s.quick() ? "quick" : "full")
        .append(", ")
        .append(s.pairs())
        .append(" pairs per comparison, ")
        .append(seconds)
        .append(" s, finished ")
        .append(Instant.now().truncatedTo(ChronoUnit.SECONDS))
        .append(" |\n\n");
    md.append(
        "**Noise.** The machine has two cores and is shared with other builds while these run;"
            + " the load average above shows how busy it was. Single runs move by several per cent,"
            + " so each comparison alternates A and B (A/B, then B/A) and reports the median of the"
            + " per-pair ratios with its range. Goals within a few per cent of their threshold can"
            + " flip between runs; the per-pair tables below show how much they move.\n\n");
    for (String section : report.sections) {
      md.append(section).append('\n');
    }
    // The analysis of causes and fixes is kept by hand beside the harness.
    Path findings = Path.of("bench", "findings.md");
    if (Files.exists(findings)) {
      md.append(Files.readString(findings, StandardCharsets.UTF_8));
    }
    return md.toString();
  }

  private static String cpuModel() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/cpuinfo"))) {
        if (line.startsWith("model name")) {
          return line.substring(line.indexOf(':') + 1).trim();
        }
      }
    } catch (IOException e) {
      return "unknown";
    }
    return "unknown";
  }

  private static String memTotal() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/meminfo"))) {
        if (line.startsWith("MemTotal:")) {
          long kb = Long.parseLong(line.replaceAll("[^0-9]", ""));
          return Support.fmt("%.1f GiB", kb / 1048576.0);
        }
      }
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
    return "unknown";
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static String clockSource() {
    try {
      return Files.readString(
              Path.of("/sys/devices/system/clocksource/clocksource0/current_clocksource"))
          .trim();
    } catch (IOException e) {
      return "unknown";
    }
  }
}
