package dev.wsmanager.bench;

import dev.wsmanager.WsManager;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Semaphore;
import java.util.concurrent.atomic.AtomicInteger;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordingFile;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;

/**
 * One idle-footprint measurement, in a JVM of its own: opens N idle connections (raw OkHttp or a
 * manager) to the given ports, then reports heap after GC, RSS and thread counts, each as a delta
 * from the same JVM before it opened anything.
 *
 * <p>Usage: {@code IdleFootprint raw|manager platform|virtual N PORT...}. Prints one line starting
 * with {@code RESULT}.
 */
public final class IdleFootprint {
  private IdleFootprint() {}

  public static void main(String[] args) throws Exception {
    boolean manager = args[0].equals("manager");
    boolean virtual = args[1].equals("virtual");
    int n = Integer.parseInt(args[2]);
    List<String> urls = new ArrayList<>();
    for (int i = 3; i < args.length; i++) {
      urls.add("ws://127.0.0.1:" + args[i] + "/ws");
    }
    Recording pinning = null;
    if (virtual) {
      pinning = new Recording();
      pinning.enable("jdk.VirtualThreadPinned").withThreshold(Duration.ZERO).withStackTrace();
      pinning.start();
    }
    // For finding where threads park while connecting: java -Dbench.parks=FILE ... IdleFootprint
    // ...
    String parksFile = System.getProperty("bench.parks");
    Recording parks = null;
    if (parksFile != null) {
      parks = new Recording();
      parks.enable("jdk.ThreadPark").withThreshold(Duration.ZERO).withStackTrace();
      parks.start();
    }
    // Load and initialise both code paths before the baseline, so class metadata and JIT
    // warm-up are not charged to the streams.
    warmUp(urls.get(0), virtual);
    long heap0 = heapAfterGc();
    long rss0 = Support.procStatus("VmRSS");
    int threads0 = ManagementFactory.getThreadMXBean().getThreadCount();
    long osThreads0 = Support.procStatus("Threads");

    long t0 = System.nanoTime();
    AutoCloseable held;
    if (manager) {
      WsManager.Builder b =
          WsManager.builder()
              .name("idle")
              .registry(new io.prometheus.metrics.model.registry.PrometheusRegistry())
              .maxConnectsPerSecond(5_000, 500)
              .virtualThreads(virtual);
      WsManager m = b.build();
      for (int i = 0; i < n; i++) {
        m.open(Clients.spec("s" + i, urls.get(i % urls.size())).build());
      }
      if (!Support.await(() -> m.stats().activeConnections() == n, 300_000)) {
        throw new IllegalStateException("only " + m.stats().activeConnections() + " opened");
      }
      held = m;
    } else {
      ExecutorService executor = virtual ? Support.virtualThreads() : null;
      OkHttpClient client = Support.rawClient(executor);
      AtomicInteger opened = new AtomicInteger();
      Semaphore inFlight = new Semaphore(500);
      List<WebSocket> sockets = new ArrayList<>(n);
      for (int i = 0; i < n; i++) {
        inFlight.acquire();
        sockets.add(
            client.newWebSocket(
                new Request.Builder().url(urls.get(i % urls.size())).build(),
                new Clients.CountingListener(opened) {
                  @Override
                  public void onOpen(WebSocket webSocket, Response response) {
                    super.onOpen(webSocket, response);
                    inFlight.release();
                  }

                  @Override
                  public void onFailure(WebSocket webSocket, Throwable t, Response response) {
                    System.err.println("raw connect failed: " + t);
                    inFlight.release();
                  }
                }));
      }
      if (!Support.await(() -> opened.get() == n, 300_000)) {
        throw new IllegalStateException("only " + opened.get() + " opened");
      }
      held = () -> sockets.forEach(WebSocket::cancel);
    }
    long connectMillis = (System.nanoTime() - t0) / 1_000_000;
    Support.sleep(1_000);
    long heap1 = heapAfterGc();
    String histogram = System.getProperty("bench.histogram");
    if (histogram != null) {
      // For finding where the bytes go: java -Dbench.histogram=FILE ... IdleFootprint ...
      Object text =
          ManagementFactory.getPlatformMBeanServer()
              .invoke(
                  new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
                  "gcClassHistogram",
                  new Object[] {new String[0]},
                  new String[] {String[].class.getName()});
      Files.writeString(Path.of(histogram), String.valueOf(text));
    }
    long rss1 = Support.procStatus("VmRSS");
    int threads1 = ManagementFactory.getThreadMXBean().getThreadCount();
    long osThreads1 = Support.procStatus("Threads");

    if (parks != null) {
      parks.stop();
      parks.dump(Path.of(parksFile));
      parks.close();
    }
    String pinned = "-";
    if (pinning != null) {
      Path file = Files.createTempFile("pinning", ".jfr");
      pinning.stop();
      pinning.dump(file);
      pinning.close();
      pinned = pinnedSummary(file);
      Files.deleteIfExists(file);
    }
    System.out.println(
        Support.fmt(
            "RESULT heapPerStream=%.1f rssPerStreamKiB=%.1f platformThreads=%d osThreads=%d"
                + " baseThreads=%d connectMillis=%d pinned=%s threadGroups=%s",
            (heap1 - heap0) / (double) n,
            (rss1 - rss0) / (double) n,
            threads1,
            osThreads1,
            threads0,
            connectMillis,
            pinned,
            threadGroups()));
    System.out.flush();
    held.getClass(); // keep every socket reachable until the readings are taken
    Runtime.getRuntime().halt(0);
  }

  /** One connection opened and closed by each code path, so neither pays for class loading. */
  static void warmUp(String url, boolean virtual) throws Exception {
    try (WsManager m =
        WsManager.builder()
            .name("warm")
            .registry(new io.prometheus.metrics.model.registry.PrometheusRegistry())
            .virtualThreads(virtual)
            .build()) {
      m.open(Clients.spec("warm", url).build());
      Support.await(() -> m.stats().activeConnections() == 1, 10_000);
      m.close(Duration.ZERO);
    }
    OkHttpClient client = Support.rawClient(virtual ? Support.virtualThreads() : null);
    AtomicInteger opened = new AtomicInteger();
    WebSocket ws =
        client.newWebSocket(
            new Request.Builder().url(url).build(), new Clients.CountingListener(opened));
    Support.await(() -> opened.get() == 1, 10_000);
    ws.cancel();
    Support.shutdown(client);
  }

  /** Live platform threads by name, digits folded: {@code OkHttp_TaskRunner:12,...}. */
  static String threadGroups() {
    Map<String, Integer> groups = new java.util.TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      groups.merge(t.getName().replaceAll("[0-9]+", "N").replace(' ', '_'), 1, Integer::sum);
    }
    StringBuilder out = new StringBuilder();
    groups.entrySet().stream()
        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
        .limit(6)
        .forEach(
            e ->
                out.append(out.length() == 0 ? "" : ",")
                    .append(e.getKey())
                    .append(':')
                    .append(e.getValue()));
    return out.toString();
  }

  static long heapAfterGc() {
    for (int i = 0; i < 3; i++) {
      System.gc();
      Support.sleep(100);
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }

  /** Pinned events: how many, and the most common top frame outside java.base. */
  private static String pinnedSummary(Path file) throws java.io.IOException {
    Map<String, Integer> where = new HashMap<>();
    int count = 0;
    for (RecordedEvent e : RecordingFile.readAllEvents(file)) {
      if (!e.getEventType().getName().equals("jdk.VirtualThreadPinned")) {
        continue;
      }
      count++;
      String frame = "?";
      if (e.getStackTrace() != null && !e.getStackTrace().getFrames().isEmpty()) {
        RecordedFrame top = e.getStackTrace().getFrames().get(0);
        frame = top.getMethod().getType().getName() + "." + top.getMethod().getName();
        for (RecordedFrame f : e.getStackTrace().getFrames()) {
          String type = f.getMethod().getType().getName();
          if (!type.startsWith("java.") && !type.startsWith("jdk.") && !type.startsWith("sun.")) {
            frame = type + "." + f.getMethod().getName();
            break;
          }
        }
      }
      where.merge(frame, 1, Integer::sum);
    }
    if (count == 0) {
      return "0";
    }
    String top =
        where.entrySet().stream()
            .sorted(Map.Entry.<String, Integer>comparingByValue().reversed())
            .limit(3)
            .map(en -> en.getKey() + "×" + en.getValue())
            .reduce((a, b) -> a + "," + b)
            .orElse("");
    return count + "[" + top + "]";
  }
}
