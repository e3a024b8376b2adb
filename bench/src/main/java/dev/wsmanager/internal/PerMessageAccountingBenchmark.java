package dev.wsmanager.internal;

import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSpec;
import io.prometheus.metrics.core.datapoints.CounterDataPoint;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scenario 7: what the manager does per received message ({@code StreamLoop.messageReceived()}, the
 * real method: the stream's own count, from which the manager's total is summed at read time, and
 * its last-message time) against the cheapest Prometheus alternative, a cached labelled {@link
 * CounterDataPoint#inc()}.
 *
 * <p>Two threads, like two connections' reader threads: each has its own stream of one shared
 * manager (and, for the baseline, both increment one shared data point).
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class PerMessageAccountingBenchmark {

  /** One manager and one cached Prometheus data point, shared by both threads. */
  @State(Scope.Benchmark)
  public static class Shared {
    Engine engine;
    CounterDataPoint dataPoint;
    final AtomicInteger ids = new AtomicInteger();

    @Setup(Level.Trial)
    public void setUp() {
      PrometheusRegistry registry = new PrometheusRegistry();
      engine =
          new Engine(
              new Engine.Config(
                  "bench",
                  new OkHttpClient(),
                  ReconnectPolicy.defaults(),
                  registry,
                  Labels.EMPTY,
                  false,
                  100,
                  10,
                  Duration.ofSeconds(1),
                  Duration.ofMinutes(1),
                  Clock.systemUTC(),
                  null,
                  () -> 0.5,
                  null,
                  1));
      dataPoint =
          Counter.builder()
              .name("bench_messages_received_total")
              .labelNames("stream")
              .register(registry)
              .labelValues("s");
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      engine.close(Duration.ZERO);
    }
  }

  /** The stream whose reader thread this benchmark thread plays. */
  @State(Scope.Thread)
  public static class PerThread {
    StreamLoop loop;

    @Setup(Level.Trial)
    public void setUp(Shared shared) {
      StreamSpec spec =
          StreamSpec.builder("s" + shared.ids.incrementAndGet(), "ws://127.0.0.1:9/").build();
      loop =
          new StreamLoop(
              shared.engine, spec, ReconnectPolicy.defaults(), new OkHttpClient(),
              shared.engine.metrics);
    }
  }

  @Benchmark
  public void managerPerMessage(PerThread t) {
    t.loop.messageReceived();
  }

  @Benchmark
  public void prometheusCachedCounterInc(Shared s) {
    s.dataPoint.inc();
  }
}
