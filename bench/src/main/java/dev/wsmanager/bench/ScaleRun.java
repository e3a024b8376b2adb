package dev.wsmanager.bench;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;

/**
 * One many-streams run in a JVM of its own (JDK 21+, virtual threads): {@code ScaleRun raw|manager
 * STREAMS IDLE_WINDOW_MS OUTAGE(true|false) PORT...}.
 *
 * <p>Opens the streams (pings every 20 s, the default; the servers answer them), takes the
 * readings, measures CPU over an idle window and, for the manager, the scrape and snapshot cost.
 * With an outage it prints {@code OUTAGE-READY}, expects {@code KILLED} on its standard input once
 * the servers are gone and {@code UP} once they are back, and measures the recovery. Then it times
 * the close of everything. Prints {@code RESULT key=value...}.
 */
public final class ScaleRun {
  private ScaleRun() {}

  /**
   * The streams' connect timeout: on this shared 2-core machine a burst of thousands of handshakes
   * can take longer than the default 10 s, and every attempt that times out is redone.
   */
  static final int CONNECT_TIMEOUT_SECONDS = 30;

  public static void main(String[] args) throws Exception {
    boolean manager = args[0].equals("manager");
    int n = Integer.parseInt(args[1]);
    long windowMillis = Long.parseLong(args[2]);
    boolean outage = Boolean.parseBoolean(args[3]);
    List<String> urls = new ArrayList<>();
    for (int i = 4; i < args.length; i++) {
      urls.add("ws://127.0.0.1:" + args[i] + "/ws");
    }
    Map<String, Object> out = new LinkedHashMap<>();
    BufferedReader control =
        new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));

    IdleFootprint.warmUp(urls.get(0), true);
    long heap0 = IdleFootprint.heapAfterGc();
    long rss0 = Support.procStatus("VmRSS");
    int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();

    LongAdder cannotAssign = new LongAdder();
    LongAdder failuresAfterUp = new LongAdder();
    AtomicInteger rawOpened = new AtomicInteger();
    WsManager m = null;
    OkHttpClient client = null;
    List<WebSocket> sockets = new ArrayList<>();
    long t0 = System.nanoTime();
    long openCpu0 = Support.processCpuNanos();
    if (manager) {
      m =
          WsManager.builder()
              .name("scale")
              .registry(new PrometheusRegistry())
              .virtualThreads(true)
              .maxConnectsPerSecond(20_000, 2_000)
              .maxConnectingStreams(Integer.getInteger("bench.maxConnecting", 1_000))
              .reconnectPolicy(ReconnectPolicy.builder().build())
              .build();
      StreamListener listener =
          new StreamListener() {
            @Override
            public void onFailure(ManagedStream stream, FailureReason reason, Throwable cause) {
              failuresAfterUp.increment();
              if (String.valueOf(cause).contains("Cannot assign requested address")) {
                cannotAssign.increment();
              }
            }
          };
      for (int i = 0; i < n; i++) {
        m.open(
            StreamSpec.builder("s" + i, urls.get(i % urls.size()))
                .listener(listener)
                .connectTimeout(Duration.ofSeconds(CONNECT_TIMEOUT_SECONDS))
                .build());
      }
      WsManager mm = m;
      if (!await(() -> mm.stats().activeConnections() == n, 180_000)) {
        throw new IllegalStateException("only " + m.stats().activeConnections() + " opened");
      }
    } else {
      client =
          Support.rawClient(Support.virtualThreads())
              .newBuilder()
              .pingInterval(20, TimeUnit.SECONDS)
              .build();
      Semaphore inFlight = new Semaphore(2_000);
      for (int i = 0; i < n; i++) {
        inFlight.acquire();
        sockets.add(
            client.newWebSocket(
                new Request.Builder().url(urls.get(i % urls.size())).build(),
                new Clients.CountingListener(rawOpened) {
                  @Override
                  public void onOpen(WebSocket webSocket, Response response) {
                    super.onOpen(webSocket, response);
                    inFlight.release();
                  }

                  @Override
                  public void onFailure(WebSocket webSocket, Throwable t, Response response) {
                    if (String.valueOf(t).contains("Cannot assign requested address")) {
                      cannotAssign.increment();
                    }
                    inFlight.release();
                  }
                }));
      }
      if (!await(() -> rawOpened.get() == n, 180_000)) {
        throw new IllegalStateException("only " + rawOpened.get() + " opened");
      }
    }
    out.put("openMillis", (System.nanoTime() - t0) / 1_000_000);
    out.put("openCpuMillis", (Support.processCpuNanos() - openCpu0) / 1_000_000);
    if (m != null) {
      out.put(
          "openAttemptsPerStream",
          Support.fmt("%.3f", m.stats().connectionAttempts() / (double) n));
      StringBuilder reasons = new StringBuilder();
      m.stats()
          .connectionFailures()
          .forEach(
              (reason, count) -> {
                if (count > 0) {
                  reasons
                      .append(reasons.length() == 0 ? "" : ",")
                      .append(reason.label())
                      .append(':')
                      .append(count);
                }
              });
      out.put("openFailures", reasons.length() == 0 ? "none" : reasons.toString());
    }
    Support.sleep(2_000);
    long heap1 = IdleFootprint.heapAfterGc();
    long rss1 = Support.procStatus("VmRSS");
    String histogram = System.getProperty("bench.histogram");
    if (histogram != null) {
      // the live objects by class, for comparing raw and manager (-Dbench.histogram=FILE)
      Object text =
          ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                  "gcClassHistogram",
                  new Object[] {new String[0]},
                  new String[] {String[].class.getName()});
      java.nio.file.Files.writeString(java.nio.file.Path.of(histogram), String.valueOf(text));
    }
    out.put("heapPerStream", Support.fmt("%.0f", (heap1 - heap0) / (double) n));
    out.put("rssPerStreamKiB", Support.fmt("%.1f", (rss1 - rss0) / (double) n));
    out.put("rssMiB", rss1 / 1024);
    out.put("baseThreads", threads0);
    out.put("platformThreads", ManagementFactory.getThreadMXBean().getThreadCount());
    out.put("threadGroups", IdleFootprint.threadGroups());

    // CPU of idle streams: pings every 20 s (answered by the servers), the manager's timers.
    long cpu0 = Support.processCpuNanos();
    long w0 = System.nanoTime();
    Support.sleep(windowMillis);
    long cpu1 = Support.processCpuNanos();
    long w1 = System.nanoTime();
    out.put(
        "idleCpuMicrosPerStreamSecond",
        Support.fmt("%.3f", (cpu1 - cpu0) / 1e3 / n / ((w1 - w0) / 1e9)));
    out.put("idleCores", Support.fmt("%.4f", (double) (cpu1 - cpu0) / (w1 - w0)));

    if (m != null) {
      WsManager mm = m;
      ScrapeScenario.Sample scrape = ScrapeScenario.batch(m.registry(), 21);
      out.put("scrapeMicros", Support.fmt("%.0f", scrape.medianMicros()));
      out.put("scrapeBytes", scrape.bytes());
      out.put("scrapeSeries", scrape.series());
      long[] snap = new long[11];
      for (int i = 0; i < snap.length; i++) {
        long s0 = System.nanoTime();
        int size = mm.streams().size();
        snap[i] = System.nanoTime() - s0;
        if (size != n) {
          throw new IllegalStateException("streams() returned " + size + " of " + n);
        }
      }
      Arrays.sort(snap);
      out.put("snapshotMicros", snap[snap.length / 2] / 1_000);
    }

    if (outage && m != null) {
      WsManager mm = m;
      System.out.println("OUTAGE-READY");
      System.out.flush();
      expect(control, "KILLED");
      long k0 = System.nanoTime();
      await(() -> mm.stats().activeConnections() == 0, 60_000);
      out.put("downMillis", (System.nanoTime() - k0) / 1_000_000);
      System.out.println("DOWN");
      System.out.flush();
      expect(control, "UP");
      long attempts0 = mm.stats().connectionAttempts();
      java.util.concurrent.atomic.AtomicLong attemptsAtListening =
          new java.util.concurrent.atomic.AtomicLong(-1);
      Thread listening =
          new Thread(
              () -> {
                try {
                  expect(control, "LISTENING");
                  attemptsAtListening.set(mm.stats().connectionAttempts());
                } catch (java.io.IOException e) {
                  throw new java.io.UncheckedIOException(e);
                }
              },
              "control");
      listening.setDaemon(true);
      listening.start();
      failuresAfterUp.reset();
      long u0 = System.nanoTime();
      long ninetyNine = (long) Math.ceil(n * 0.99);
      boolean reached99 = await(() -> mm.stats().activeConnections() >= ninetyNine, 120_000);
      long t99 = (System.nanoTime() - u0) / 1_000_000;
      boolean reachedAll = await(() -> mm.stats().activeConnections() == n, 60_000);
      long tAll = (System.nanoTime() - u0) / 1_000_000;
      long attempts = mm.stats().connectionAttempts() - attempts0;
      out.put("recover99Millis", reached99 ? t99 : -1);
      out.put("recoverAllMillis", reachedAll ? tAll : -1);
      out.put("attemptsPerStream", Support.fmt("%.3f", attempts / (double) n));
      listening.join(10_000);
      long atListening = attemptsAtListening.get();
      out.put(
          "attemptsPerStreamListening",
          atListening < 0
              ? "-1"
              : Support.fmt("%.3f", (mm.stats().connectionAttempts() - atListening) / (double) n));
      out.put("failuresAfterUp", failuresAfterUp.sum());
    }
    out.put("cannotAssign", cannotAssign.sum());

    long c0 = System.nanoTime();
    long closeCpu0 = Support.processCpuNanos();
    if (m != null) {
      m.close();
    } else {
      for (WebSocket ws : sockets) {
        ws.close(1000, null);
      }
      Support.shutdown(client);
    }
    out.put("closeMillis", (System.nanoTime() - c0) / 1_000_000);
    out.put("closeCpuMillis", (Support.processCpuNanos() - closeCpu0) / 1_000_000);

    StringBuilder line = new StringBuilder("RESULT");
    out.forEach((k, v) -> line.append(' ').append(k).append('=').append(v));
    System.out.println(line);
    System.out.flush();
    System.exit(0);
  }

  /** Polls every 50 ms: {@code stats()} walks every stream, so polling it faster would cost. */
  private static boolean await(java.util.function.BooleanSupplier condition, long timeoutMillis) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      Support.sleep(50);
    }
    return true;
  }

  private static void expect(BufferedReader control, String word) throws java.io.IOException {
    String line = control.readLine();
    if (!word.equals(line)) {
      throw new IllegalStateException("expected " + word + " on standard input, read " + line);
    }
  }
}
