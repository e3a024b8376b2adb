package dev.wsmanager.internal;

import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Clock;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scenario 7: what the manager does per received message ({@code MessageCounter.increment()}, the
 * real method: the connection's own count, from which the manager's total is summed at read time,
 * and its last-message time) against the cheapest Prometheus alternative, a cached labelled {@link
 * CounterDataPoint#inc()}.
 *
 * <p>Two threads, like two connections' reader threads: each has its own counter (and, for the
 * baseline, both increment one shared data point).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class PerMessageAccountingBenchmark {

  /** One cached Prometheus data point, shared by both threads. */
  @State(Scope.Benchmark)
  public static class Shared {
    CounterDataPoint dataPoint;

    @Setup(Level.Trial)
    public void setUp() {
      dataPoint =
          Counter.builder()
              .name("bench_messages_received_total")
              .labelNames("stream")
              .register(new PrometheusRegistry())
              .labelValues("s");
    }
  }

  /** The connection whose reader thread this benchmark thread plays: its own counter. */
  @State(Scope.Thread)
  public static class PerThread {
    MessageCounter counter;

    @Setup(Level.Trial)
    public void setUp() {
      Clock clock = Clock.systemUTC();
      counter = new MessageCounter(clock::millis);
    }
  }

  @Benchmark
  public void managerPerMessage(PerThread t) {
    t.counter.increment();
  }

  @Benchmark
  public void prometheusCachedCounterInc(Shared s) {
    s.dataPoint.inc();
  }
}
