package dev.wsmanager.bench;

import dev.wsmanager.internal.PerMessageAccountingBenchmark;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import org.openjdk.jmh.profile.GCProfiler;
import org.openjdk.jmh.results.Result;
import org.openjdk.jmh.results.RunResult;
import org.openjdk.jmh.runner.Runner;
import org.openjdk.jmh.runner.RunnerException;
import org.openjdk.jmh.runner.options.Options;
import org.openjdk.jmh.runner.options.OptionsBuilder;
import org.openjdk.jmh.runner.options.TimeValue;

/**
 * Scenario 7: {@link PerMessageAccountingBenchmark} under JMH with {@code -prof gc}, two threads.
 * Each round runs the two benchmarks in separate forks, alternating which goes first.
 */
final class AccountingScenario {
  private AccountingScenario() {}

  /** Score and allocation of one fork. */
  record Score(double nanos, double bytesPerOp) {}

  static void run(Report report, Settings s) throws RunnerException {
    String manager = PerMessageAccountingBenchmark.class.getName() + ".managerPerMessage";
    String prometheus =
        PerMessageAccountingBenchmark.class.getName() + ".prometheusCachedCounterInc";
    StringBuilder details = new StringBuilder("## 7. Per-message accounting (JMH)\n\n");
    details.append(
        "`PerMessageAccountingBenchmark` (package `dev.wsmanager.internal` in `bench/`) calls the"
            + " manager's own per-message method, `MessageCounter.increment()`, on a real"
            + " connection's counter; the baseline is `inc()` on a cached labelled Prometheus `CounterDataPoint`."
            + " Two threads (`@Threads(2)`): each plays one connection's reader thread with its own"
            + " stream of one shared manager; the baseline's threads share one data point. Average time per"
            + " operation, `-prof gc` for allocation; one fork per benchmark per round, the order"
            + " alternating.\n\n");
    details.append(
        "| round | manager ns/op | manager B/op | Prometheus ns/op | Prometheus B/op |\n");
    details.append("|---|---|---|---|---|\n");
    List<Double> mNs = new ArrayList<>();
    List<Double> pNs = new ArrayList<>();
    List<Double> mBytes = new ArrayList<>();
    for (int round = 0; round < s.pairs(); round++) {
      Score m;
      Score p;
      if (round % 2 == 0) {
        m = jmh(manager, s);
        p = jmh(prometheus, s);
      } else {
        p = jmh(prometheus, s);
        m = jmh(manager, s);
      }
      mNs.add(m.nanos());
      pNs.add(p.nanos());
      mBytes.add(m.bytesPerOp());
      details.append(
          Support.fmt(
              "| %d | %.2f | %.4f | %.2f | %.4f |%n",
              round + 1, m.nanos(), m.bytesPerOp(), p.nanos(), p.bytesPerOp()));
    }
    Support.Spread ns = Support.Spread.of(mNs);
    Support.Spread bytes = Support.Spread.of(mBytes);
    report.row(
        "7 per-message accounting, 2 threads",
        "≤ 10 ns/op, ~0 B/op",
        ns.format("%.1f ns")
            + ", "
            + Support.fmt("%.3f", bytes.median())
            + " B/op (Prometheus "
            + Support.Spread.of(pNs).format("%.1f ns")
            + ")",
        ns.median() <= 10 && bytes.median() < 1,
        "bench/run.sh --only 7");
    report.section(details.toString());
  }

  private static Score jmh(String benchmark, Settings s) throws RunnerException {
    Options options =
        new OptionsBuilder()
            .include("^" + java.util.regex.Pattern.quote(benchmark) + "$")
            .forks(1)
            .threads(2)
            .warmupIterations(s.quick() ? 2 : 3)
            .warmupTime(TimeValue.seconds(1))
            .measurementIterations(s.quick() ? 2 : 4)
            .measurementTime(TimeValue.seconds(1))
            .addProfiler(GCProfiler.class)
            .jvmArgsAppend("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn")
            .build();
    Collection<RunResult> results = new Runner(options).run();
    RunResult r = results.iterator().next();
    Result<?> alloc = r.getSecondaryResults().get("gc.alloc.rate.norm");
    return new Score(
        r.getPrimaryResult().getScore(), alloc == null ? Double.NaN : alloc.getScore());
  }
}
