package dev.wsmanager.internal;

import dev.wsmanager.EventTime;
import dev.wsmanager.Heartbeat;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSpec;
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
import org.openjdk.jmh.infra.Blackhole;

/**
 * What heartbeats and feed delay add to a received text message: {@code
 * StreamLoop.textReceived} (count, hooks, listener) on a real stream object, with no hooks (a
 * stream without heartbeat or event time), with the heartbeat's reply check, and with the event
 * time read and recorded on every message or one in 16. A Binance-style trade message of 150
 * characters; two threads, each one stream's reader thread, sharing one manager's counters.
 *
 * <pre>
 * ./mvnw -B -q -Pbench -DskipTests package
 * java -jar bench/target/benchmarks.jar ... (or) java -cp bench/target/benchmarks.jar \
 *     org.openjdk.jmh.Main FeedHealthBenchmark
 * </pre>
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(2)
public class FeedHealthBenchmark {
  static final String TRADE =
      "{\"e\":\"trade\",\"E\":1767225600123,\"s\":\"BTCUSDT\",\"t\":4120583712,"
          + "\"p\":\"64012.50000000\",\"q\":\"0.01200000\",\"T\":1767225600120,\"m\":true,\"M\":true}";

  /** One manager shared by both threads. */
  @State(Scope.Benchmark)
  public static class Shared {
    Engine engine;
    final AtomicInteger ids = new AtomicInteger();

    @Setup(Level.Trial)
    public void setUp() {
      engine =
          new Engine(
              new Engine.Config(
                  "bench",
                  new OkHttpClient(),
                  ReconnectPolicy.defaults(),
                  new PrometheusRegistry(),
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
    }

    @TearDown(Level.Trial)
    public void tearDown() {
      engine.close(Duration.ZERO);
    }
  }

  /** One stream per thread, and the hooks its connection would have. */
  @State(Scope.Thread)
  public static class PerThread {
    StreamLoop loop;
    MessageHooks heartbeat;
    MessageHooks delayEvery;
    MessageHooks delaySampled;

    @Setup(Level.Trial)
    public void setUp(Shared shared) {
      StreamSpec spec =
          StreamSpec.builder("s" + shared.ids.incrementAndGet(), "ws://127.0.0.1:9/").build();
      loop =
          new StreamLoop(
              shared.engine, spec, ReconnectPolicy.defaults(), new OkHttpClient(),
              shared.engine.metrics);
      Heartbeat hb =
          Heartbeat.builder()
              .message("{\"op\":\"ping\"}")
              .reply(t -> t.startsWith("{\"op\":\"pong\""))
              .interval(Duration.ofSeconds(20))
              .build();
      heartbeat = MessageHooks.of(new HeartbeatMonitor(hb, null), null);
      delayEvery = MessageHooks.of(null, recorder(shared, 1));
      delaySampled = MessageHooks.of(null, recorder(shared, 16));
    }

    private static DelayRecorder recorder(Shared shared, int sampling) {
      ManagerMetrics metrics = shared.engine.metrics;
      return new DelayRecorder(
          EventTime.jsonField("E"),
          sampling,
          System::currentTimeMillis,
          new DelayRecorder.Sink() {
            @Override
            public void delay(long millis) {
              metrics.messageDelay(millis);
            }

            @Override
            public void error(String what, RuntimeException e) {
              throw e;
            }
          });
    }
  }

  @Benchmark
  public void noHooks(PerThread t) {
    t.loop.textReceived(null, TRADE);
  }

  @Benchmark
  public void heartbeatReplyCheck(PerThread t) {
    t.loop.textReceived(t.heartbeat, TRADE);
  }

  @Benchmark
  public void delayEveryMessage(PerThread t) {
    t.loop.textReceived(t.delayEvery, TRADE);
  }

  @Benchmark
  public void delayOneIn16(PerThread t) {
    t.loop.textReceived(t.delaySampled, TRADE);
  }

  @Benchmark
  public void countOnly(PerThread t) {
    t.loop.messageReceived();
  }

  @Benchmark
  public long extractorOnly() {
    return EVENT_TIME.applyAsLong(TRADE);
  }

  @Benchmark
  public void clockOnly(Blackhole bh) {
    bh.consume(System.currentTimeMillis());
  }

  private static final java.util.function.ToLongFunction<String> EVENT_TIME =
      EventTime.jsonField("E");
}
