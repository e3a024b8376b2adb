package dev.wsmanager.bench;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import io.prometheus.metrics.core.metrics.Counter;
import io.prometheus.metrics.core.metrics.Gauge;
import io.prometheus.metrics.core.metrics.Histogram;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.MetricSnapshots;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Scenario 4: what one scrape costs ({@code registry.scrape()} plus the Prometheus text writer), in
 * time, bytes and allocation, at 100, 1,000 and 10,000 streams. The streams never connect: they
 * wait for admission (the limit is set to one attempt per 1,000 s), which leaves every series in
 * place without 10,000 sockets.
 */
final class ScrapeScenario {
  private ScrapeScenario() {}

  private static final int[] SIZES = {100, 1_000, 10_000};
  private static final double[] CONNECT_BUCKETS = {
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30
  };
  private static final PrometheusTextFormatWriter WRITER = PrometheusTextFormatWriter.create();
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  /** One batch of scrapes. */
  record Sample(double medianMicros, long bytes, long allocatedPerScrape, int series) {}

  static void run(Report report, Settings s) {
    StringBuilder details = new StringBuilder("## 4. Scrape cost\n\n");
    details.append(
        "Each scrape is `registry.scrape()` followed by `PrometheusTextFormatWriter` into a reused"
            + " buffer, on one thread; time is the median of the batch, allocation is"
            + " `ThreadMXBean.getCurrentThreadAllocatedBytes()` over the batch divided by its size. The"
            + " per-stream comparison is against a bare registry holding the same series: the same"
            + " gauges, failure counter and histogram as the manager's, and three `Counter`s with"
            + " `labelNames(\"manager\", \"stream\")` holding one child per stream, all read through the"
            + " same writer. Batches alternate manager / bare, then bare / manager.\n\n");
    details.append(
        "| streams | mode | series | bytes | manager µs/scrape | bare µs/scrape | ratio (median, min–max) |"
            + " manager B allocated | bare B allocated |\n|---|---|---|---|---|---|---|---|---|\n");
    List<Sample> defaults = new ArrayList<>();
    for (int n : SIZES) {
      PrometheusRegistry registry = new PrometheusRegistry();
      try (WsManager m = waitingManager(registry, false, n)) {
        if (m.stats().streamCreations() != n) {
          throw new IllegalStateException("expected " + n + " streams");
        }
        batch(registry, 20);
        List<Double> times = new ArrayList<>();
        Sample last = null;
        for (int pair = 0; pair < s.pairs(); pair++) {
          last = batch(registry, batchSize(n, s));
          times.add(last.medianMicros());
        }
        Support.Spread t = Support.Spread.of(times);
        defaults.add(
            new Sample(t.median(), last.bytes(), last.allocatedPerScrape(), last.series()));
        details.append(
            Support.fmt(
                "| %d | default | %d | %d | %s | – | – | %d | – |%n",
                n, last.series(), last.bytes(), t.format("%.1f"), last.allocatedPerScrape()));
      }
    }
    Sample small = defaults.get(0);
    Sample large = defaults.get(defaults.size() - 1);
    boolean sameSize =
        small.series() == large.series() && Math.abs(small.bytes() - large.bytes()) < 64;
    report.row(
        "4 scrape, default mode",
        "same size at 100 and 10,000; ≤ 1 ms",
        Support.fmt(
            "%d vs %d B (%d series both); %.0f µs at 10,000",
            small.bytes(), large.bytes(), large.series(), large.medianMicros()),
        sameSize && large.medianMicros() <= 1000,
        "bench/run.sh --only 4");

    for (int n : SIZES) {
      PrometheusRegistry managed = new PrometheusRegistry();
      try (WsManager m = waitingManager(managed, true, n)) {
        PrometheusRegistry bare = bareRegistry(m.name(), n);
        batch(managed, 10);
        batch(bare, 10);
        List<Double> ratios = new ArrayList<>();
        List<Double> mt = new ArrayList<>();
        List<Double> bt = new ArrayList<>();
        Sample lm = null;
        Sample lb = null;
        for (int pair = 0; pair < s.pairs(); pair++) {
          if (pair % 2 == 0) {
            lm = batch(managed, batchSize(n, s));
            lb = batch(bare, batchSize(n, s));
          } else {
            lb = batch(bare, batchSize(n, s));
            lm = batch(managed, batchSize(n, s));
          }
          ratios.add(lm.medianMicros() / lb.medianMicros());
          mt.add(lm.medianMicros());
          bt.add(lb.medianMicros());
        }
        Support.Spread ratio = Support.Spread.of(ratios);
        details.append(
            Support.fmt(
                "| %d | per-stream | %d (bare %d) | %d (bare %d) | %s | %s | %s | %d | %d |%n",
                n,
                lm.series(),
                lb.series(),
                lm.bytes(),
                lb.bytes(),
                Support.Spread.of(mt).format("%.0f"),
                Support.Spread.of(bt).format("%.0f"),
                ratio.format("%.3f"),
                lm.allocatedPerScrape(),
                lb.allocatedPerScrape()));
        report.row(
            "4 scrape, per-stream, " + Support.fmt("%,d", n),
            "manager/bare time ≤ 1.10",
            ratio.format("%.3f") + Support.fmt("; %.2f ms", Support.Spread.of(mt).median() / 1000),
            ratio.median() <= 1.10,
            "bench/run.sh --only 4");
      }
    }
    report.section(details.toString());
  }

  private static int batchSize(int n, Settings s) {
    int size = n <= 100 ? 400 : n <= 1_000 ? 100 : 20;
    return s.quick() ? Math.max(5, size / 4) : size;
  }

  /** A manager with {@code n} streams that are all waiting for admission. */
  static WsManager waitingManager(PrometheusRegistry registry, boolean perStream, int n) {
    WsManager m =
        WsManager.builder()
            .name(perStream ? "perstream" : "default")
            .registry(registry)
            .perStreamMetrics(perStream)
            .maxConnectsPerSecond(0.001, 1)
            .reconnectPolicy(
                ReconnectPolicy.builder()
                    .initialDelay(Duration.ofHours(1))
                    .maxDelay(Duration.ofHours(1))
                    .build())
            .build();
    for (int i = 0; i < n; i++) {
      m.open(Clients.spec(Support.fmt("stream-%05d", i), "ws://127.0.0.1:1/ws").build());
    }
    return m;
  }

  /** The manager's series, held by plain client_java metrics. */
  static PrometheusRegistry bareRegistry(String manager, int n) {
    PrometheusRegistry r = new PrometheusRegistry();
    Gauge.builder()
        .name("ws_manager_active_connections")
        .help("WebSocket connections currently open")
        .labelNames("manager")
        .register(r)
        .labelValues(manager)
        .set(0);
    Gauge.builder()
        .name("ws_manager_active_connections_hwm")
        .help("Most WebSocket connections open at once since the manager started")
        .labelNames("manager")
        .register(r)
        .labelValues(manager)
        .set(0);
    Counter.builder()
        .name("ws_manager_retry_count")
        .help("Reconnects scheduled after a failure or disconnect")
        .labelNames("manager")
        .register(r)
        .labelValues(manager)
        .inc(0);
    Counter.builder()
        .name("ws_manager_stream_creations")
        .help("Streams opened")
        .labelNames("manager")
        .register(r)
        .labelValues(manager)
        .inc(n);
    Counter.builder()
        .name("ws_manager_stream_cleanups")
        .help("Streams closed and removed from their manager")
        .labelNames("manager")
        .register(r)
        .labelValues(manager)
        .inc(0);
    Counter attempts =
        Counter.builder()
            .name("ws_manager_connection_attempts")
            .help("Connection attempts, first ones and retries")
            .labelNames("manager", "stream")
            .register(r);
    Counter failures =
        Counter.builder()
            .name("ws_manager_connection_failures")
            .help(
                "Connection attempts that failed and open connections that ended abnormally, by reason")
            .labelNames("manager", "reason")
            .register(r);
    for (FailureReason reason : FailureReason.values()) {
      failures.labelValues(manager, reason.label()).inc(0);
    }
    Counter received =
        Counter.builder()
            .name("ws_manager_messages_received")
            .help("WebSocket messages received")
            .labelNames("manager", "stream")
            .register(r);
    Counter sent =
        Counter.builder()
            .name("ws_manager_messages_sent")
            .help("WebSocket messages queued for sending")
            .labelNames("manager", "stream")
            .register(r);
    Histogram.builder()
        .name("ws_manager_connect_duration_seconds")
        .help("Time from the start of a connection attempt to the completed WebSocket handshake")
        .classicOnly()
        .classicUpperBounds(CONNECT_BUCKETS)
        .labelNames("manager")
        .register(r)
        .labelValues(manager);
    Gauge streams =
        Gauge.builder()
            .name("ws_manager_streams")
            .help("Live streams by state")
            .labelNames("manager", "state")
            .register(r);
    for (StreamState state : StreamState.values()) {
      streams.labelValues(manager, state.label()).set(state == StreamState.CONNECTING ? n : 0);
    }
    Counter.builder()
        .name("ws_manager_listener_errors")
        .help("Listener callbacks and subscribe hooks that threw")
        .labelNames("manager")
        .register(r)
        .labelValues(manager)
        .inc(0);
    for (int i = 0; i < n; i++) {
      String id = Support.fmt("stream-%05d", i);
      attempts.labelValues(manager, id).inc(i == 0 ? 1 : 0);
      received.labelValues(manager, id).inc(0);
      sent.labelValues(manager, id).inc(0);
    }
    return r;
  }

  static Sample batch(PrometheusRegistry registry, int scrapes) {
    ByteArrayOutputStream out = new ByteArrayOutputStream(4 << 20);
    long[] nanos = new long[scrapes];
    long alloc0 = THREADS.getCurrentThreadAllocatedBytes();
    try {
      for (int i = 0; i < scrapes; i++) {
        out.reset();
        long t0 = System.nanoTime();
        MetricSnapshots snapshots = registry.scrape();
        WRITER.write(out, snapshots);
        nanos[i] = System.nanoTime() - t0;
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    long alloc = (THREADS.getCurrentThreadAllocatedBytes() - alloc0) / scrapes;
    Arrays.sort(nanos);
    String text = out.toString(StandardCharsets.UTF_8);
    int series = 0;
    for (String line : text.split("\n")) {
      if (!line.isEmpty() && !line.startsWith("#")) {
        series++;
      }
    }
    return new Sample(nanos[scrapes / 2] / 1e3, out.size(), alloc, series);
  }
}
