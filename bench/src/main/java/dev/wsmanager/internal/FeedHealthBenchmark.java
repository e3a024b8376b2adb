package dev.wsmanager.internal;

import dev.wsmanager.EventTime;
import dev.wsmanager.Heartbeat;
import dev.wsmanager.StreamListener;
import io.prometheus.metrics.model.snapshots.Labels;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.ToLongFunction;
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
 * What application heartbeats and feed delay add per received text message. Each benchmark calls
 * {@code Connection.received(text)}, the real per-message path after the staleness check (count,
 * hooks, direct delivery to a listener that does nothing), on a real connection object:
 *
 * <ul>
 *   <li>{@code noHooks}: a stream with neither heartbeat nor event time, as most are;
 *   <li>{@code baselineWithoutHooks}: the same path as it is without the hooks field at all ({@code
 *       MessageCounter.increment()} then {@code MessageDelivery.text}), the comparison for "one
 *       null check";
 *   <li>{@code heartbeatReplyCheck}: a stream with a heartbeat: its reply predicate on every
 *       message (a {@code startsWith} that does not match);
 *   <li>{@code delayEveryMessage}, {@code delayOneIn16}: {@code EventTime.jsonField("E")}, a clock
 *       read and the histogram record, on every message or one in 16;
 *   <li>{@code extractorOnly}: the extractor alone.
 * </ul>
 *
 * <p>A 150-character Binance-style trade message; one thread (one connection's reader thread). Run:
 * {@code ./mvnw -B -q -Pbench -DskipTests package && java -cp bench/target/benchmarks.jar
 * org.openjdk.jmh.Main FeedHealthBenchmark}.
 */
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
@Threads(1)
@State(Scope.Thread)
public class FeedHealthBenchmark {
  static final String TRADE =
      "{\"e\":\"trade\",\"E\":1767225600123,\"s\":\"BTCUSDT\",\"t\":4120583712,"
          + "\"p\":\"64012.50000000\",\"q\":\"0.01200000\",\"T\":1767225600120,\"m\":true,\"M\":true}";
  private static final ToLongFunction<String> EVENT_TIME = EventTime.jsonField("E");

  ExecutorService executor;
  MessageDelivery messages;
  MessageCounter baselineCounter;
  Connection plain;
  Connection heartbeat;
  Connection delayEvery;
  Connection delaySampled;

  @Setup(Level.Trial)
  public void setUp() {
    Clock clock = Clock.systemUTC();
    executor = Executors.newSingleThreadExecutor();
    SerialCallbacks callbacks =
        new SerialCallbacks(new CallbackExecutor(executor), "bench", () -> {});
    messages = new MessageDelivery(StreamListener.NONE, null, callbacks, null);
    ManagerMetrics metrics =
        new ManagerMetrics(
            Labels.of("manager", "bench"),
            null,
            false,
            new AtomicLong(),
            new AtomicLong(),
            List.of());
    Heartbeat hb =
        Heartbeat.builder()
            .message("{\"op\":\"ping\"}")
            .reply(t -> t.startsWith("{\"op\":\"pong\""))
            .interval(Duration.ofSeconds(20))
            .build();
    baselineCounter = new MessageCounter(clock::millis);
    plain = connection(clock, null);
    heartbeat = connection(clock, MessageHooks.of(new HeartbeatMonitor(hb, null), null));
    delayEvery = connection(clock, MessageHooks.of(null, recorder(metrics, clock, 1)));
    delaySampled = connection(clock, MessageHooks.of(null, recorder(metrics, clock, 16)));
  }

  @TearDown(Level.Trial)
  public void tearDown() {
    executor.shutdownNow();
  }

  private Connection connection(Clock clock, MessageHooks hooks) {
    return new Connection(null, messages, 0, clock::millis, c -> hooks);
  }

  private static DelayRecorder recorder(ManagerMetrics metrics, Clock clock, int sampling) {
    return new DelayRecorder(
        EVENT_TIME,
        sampling,
        clock::millis,
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

  @Benchmark
  public void noHooks() {
    plain.received(TRADE);
  }

  @Benchmark
  public void baselineWithoutHooks() {
    baselineCounter.increment();
    messages.text(baselineCounter, TRADE);
  }

  @Benchmark
  public void heartbeatReplyCheck() {
    heartbeat.received(TRADE);
  }

  @Benchmark
  public void delayEveryMessage() {
    delayEvery.received(TRADE);
  }

  @Benchmark
  public void delayOneIn16() {
    delaySampled.received(TRADE);
  }

  @Benchmark
  public long extractorOnly() {
    return EVENT_TIME.applyAsLong(TRADE);
  }
}
