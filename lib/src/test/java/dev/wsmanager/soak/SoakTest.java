package dev.wsmanager.soak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.ManagerStats;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.FaultProxy;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryMXBean;
import java.lang.management.ThreadMXBean;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

/**
 * A bounded soak, out of the default build: {@code ./mvnw -B -q -pl lib -Psoak verify
 * -Dsoak.minutes=2}. 200 streams through a {@link FaultProxy} to one {@link WsPeer}; every second
 * the proxy resets about 20 % of the connections (RST both ways) and the server sends every open
 * stream a message. After a warm-up and again after the chaos, with every stream back OPEN, it
 * measures heap used after GC, live threads (all, and the manager's) and open sockets, and asserts
 * they are back within a small margin; after {@code close()} it asserts that no socket, thread or
 * stream is left.
 *
 * <p>Figures go to standard output and to {@code target/soak-report.txt}.
 */
@Tag("soak")
class SoakTest {
  private static final int STREAMS = 200;
  private static final double DROP_FRACTION = 0.2;
  private static final Duration WARM_UP = Duration.ofSeconds(15);
  private static final long HEAP_MARGIN_BYTES = 8L * 1024 * 1024;
  private static final int THREAD_MARGIN = 20;
  private static final int MANAGER_THREAD_MARGIN = 10;
  private static volatile int proxyPort;

  @Test
  void chaosForMinutesLeavesHeapThreadsAndSocketsWhereTheyStarted() throws Exception {
    assumeTrue(Files.isDirectory(Paths.get("/proc/self/fd")), "counts sockets in /proc/self/fd");
    Duration chaos =
        Duration.ofMillis(
            Math.round(Double.parseDouble(System.getProperty("soak.minutes", "2")) * 60_000));
    Report report = new Report();
    report.line(
        "soak: %d streams, %.0f%% of connections reset every second, %s of chaos after a"
            + " %s warm-up",
        STREAMS, DROP_FRACTION * 100, chaos, WARM_UP);

    try (WsPeer peer = new WsPeer();
        FaultProxy proxy = new FaultProxy(peer.port())) {
      proxyPort = proxy.port();
      // The JDK opens one socket of its own (the sun.nio.ch pre-close descriptor) the first time a
      // socket is closed; make that happen before the baseline.
      java.net.InetAddress loopback = java.net.InetAddress.getLoopbackAddress();
      try (java.net.ServerSocket server = new java.net.ServerSocket(0, 1, loopback);
          java.net.Socket client = new java.net.Socket(loopback, server.getLocalPort());
          java.net.Socket accepted = server.accept()) {
        assertThat(client.isConnected() && accepted.isConnected()).isTrue();
      }
      int socketsBefore = openSockets();
      report.line("sockets before the manager: %s", describeSockets());
      int threadsBefore = liveThreads();
      Counting listener = new Counting();
      AtomicLong hookCalls = new AtomicLong();
      WsManager manager =
          WsManager.builder()
              .name("soak")
              .registry(new PrometheusRegistry())
              .reconnectPolicy(
                  ReconnectPolicy.builder()
                      .initialDelay(Duration.ofMillis(100))
                      .maxDelay(Duration.ofSeconds(2))
                      .minUptime(Duration.ofSeconds(2))
                      .build())
              .build(); // default admission: 100 attempts per second, bursts of 10
      List<ManagedStream> streams = new ArrayList<>();
      for (int i = 0; i < STREAMS; i++) {
        streams.add(
            manager.open(
                StreamSpec.builder("soak-" + i, proxy.url())
                    .listener(listener)
                    .pingInterval(Duration.ofSeconds(1))
                    .subscribe(
                        () -> {
                          hookCalls.incrementAndGet();
                          return List.of("subscribe");
                        })
                    .build()));
      }
      awaitAllOpen(manager, proxy, peer);

      Random random = new Random(42);
      runChaos(WARM_UP, proxy, peer, random);
      awaitAllOpen(manager, proxy, peer);
      peer.forgetRequests(); // the test server's own record of every request is not ours
      Figures start = Figures.measure();
      long resetsAtStart = proxy.resets();
      ManagerStats statsAtStart = manager.stats();

      long chaosStart = System.nanoTime();
      int minOpen = runChaos(chaos, proxy, peer, random);
      long chaosMillis = (System.nanoTime() - chaosStart) / 1_000_000;
      long recoverStart = System.nanoTime();
      awaitAllOpen(manager, proxy, peer);
      long recoverMillis = (System.nanoTime() - recoverStart) / 1_000_000;
      Await.until(
          "threads back within "
              + THREAD_MARGIN
              + " of the start (idle pool threads"
              + " expire after 60 s)",
          Duration.ofSeconds(90),
          () -> liveThreads() <= start.threads + THREAD_MARGIN);
      Await.until(
          "sockets back to the start",
          Duration.ofSeconds(30),
          () -> openSockets() == start.sockets);
      peer.forgetRequests();
      Figures end = Figures.measure();
      ManagerStats stats = manager.stats();

      report.line(
          "chaos ran %d ms: %d connections reset, %d reconnect attempts, fewest server-side"
              + " connections right after a reset round %d of %d; all OPEN again %d ms after the"
              + " chaos stopped",
          chaosMillis,
          proxy.resets() - resetsAtStart,
          stats.connectionAttempts() - statsAtStart.connectionAttempts(),
          minOpen,
          STREAMS,
          recoverMillis);
      report.line("failures counted over the whole run: %s", nonZero(stats));
      report.line(
          "messages received %d, listener errors %d",
          stats.messagesReceived(), stats.listenerErrors());
      report.line("%-28s %12s %12s %12s", "", "start", "end", "delta");
      report.figure("heap used after GC (KiB)", start.heapBytes / 1024, end.heapBytes / 1024);
      report.figure("live threads", start.threads, end.threads);
      report.figure("manager threads", start.managerThreads, end.managerThreads);
      report.figure("open sockets (/proc/self/fd)", start.sockets, end.sockets);
      report.figure("server-side connections", STREAMS, peer.open.size());

      assertThat(end.heapBytes)
          .as("heap used after GC")
          .isLessThanOrEqualTo(start.heapBytes + HEAP_MARGIN_BYTES);
      assertThat(end.threads).as("live threads").isLessThanOrEqualTo(start.threads + THREAD_MARGIN);
      assertThat(end.managerThreads)
          .as("manager threads")
          .isLessThanOrEqualTo(start.managerThreads + MANAGER_THREAD_MARGIN);
      assertThat(end.sockets).as("open sockets").isEqualTo(start.sockets);
      assertThat(stats.streamCreations() - stats.streamCleanups()).isEqualTo(STREAMS);
      assertThat(stats.activeConnections()).isEqualTo(STREAMS);
      assertThat(stats.streamsByState()).containsEntry(StreamState.OPEN, (long) STREAMS);
      assertThat(streams).allMatch(s -> s.state() == StreamState.OPEN);
      assertThat(hookCalls.get()).as("hook once per open").isEqualTo(listener.opens.get());
      assertThat(stats.connectionFailures().get(FailureReason.CONNECTION_LOST))
          .as("every reset counted once")
          .isLessThanOrEqualTo(proxy.resets());

      manager.close();
      Await.until("no server-side connection", () -> peer.open.isEmpty());
      Await.until("no proxied connection", () -> proxy.connections() == 0);
      Await.until("no manager thread", () -> managerThreads().isEmpty());
      try {
        Await.until("sockets back to before the manager", () -> openSockets() == socketsBefore);
      } finally {
        report.line("sockets now: %s", describeSockets());
      }
      assertThat(manager.streams()).isEmpty();
      assertThat(manager.stats().streamCleanups()).isEqualTo(STREAMS);
      assertThat(listener.closed.get()).isEqualTo(STREAMS);
      report.line(
          "after close(): %d streams, %d manager threads, sockets %d (before the manager"
              + " %d), threads %d (before the manager %d)",
          manager.streams().size(),
          managerThreads().size(),
          openSockets(),
          socketsBefore,
          liveThreads(),
          threadsBefore);
      report.line("threads after close() by name: %s", threadNames());
    } finally {
      report.write();
    }
  }

  /** Resets a fraction of the connections every second; returns the lowest OPEN count seen. */
  private static int runChaos(Duration length, FaultProxy proxy, WsPeer peer, Random random) {
    long end = System.nanoTime() + length.toNanos();
    int minOpen = Integer.MAX_VALUE;
    long next = System.nanoTime();
    while (System.nanoTime() - end < 0) {
      next += 1_000_000_000L;
      proxy.resetRandom(DROP_FRACTION, random);
      for (okhttp3.WebSocket ws : peer.open) {
        ws.send("tick");
      }
      minOpen = Math.min(minOpen, peer.open.size());
      long wake = next;
      Await.until("the next second", Duration.ofSeconds(5), () -> System.nanoTime() - wake >= 0);
    }
    return minOpen;
  }

  private static void awaitAllOpen(WsManager manager, FaultProxy proxy, WsPeer peer) {
    Await.until(
        STREAMS + " streams OPEN with one connection each",
        Duration.ofSeconds(120),
        () ->
            manager.stats().activeConnections() == STREAMS
                && proxy.connections() == STREAMS
                && peer.open.size() == STREAMS);
  }

  private static String nonZero(ManagerStats stats) {
    StringBuilder out = new StringBuilder();
    stats.connectionFailures().entrySet().stream()
        .filter(e -> e.getValue() > 0)
        .sorted(java.util.Map.Entry.comparingByKey())
        .forEach(
            e ->
                out.append(out.length() == 0 ? "" : ", ")
                    .append(e.getKey().label())
                    .append('=')
                    .append(e.getValue()));
    return out.length() == 0 ? "none" : out.toString();
  }

  static int openSockets() {
    try (Stream<Path> fds = Files.list(Paths.get("/proc/self/fd"))) {
      return (int) fds.filter(SoakTest::isSocket).count();
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
  }

  private static boolean isSocket(Path fd) {
    try {
      return Files.readSymbolicLink(fd).toString().startsWith("socket:");
    } catch (IOException e) {
      return false; // closed while listing
    }
  }

  /** Our sockets as "local->remote STATE" from /proc/net/tcp*, for a failure message. */
  static List<String> describeSockets() {
    java.util.Set<String> inodes = new java.util.HashSet<>();
    try (Stream<Path> fds = Files.list(Paths.get("/proc/self/fd"))) {
      fds.forEach(
          fd -> {
            try {
              String link = Files.readSymbolicLink(fd).toString();
              if (link.startsWith("socket:[")) {
                inodes.add(link.substring(8, link.length() - 1));
              }
            } catch (IOException e) {
              // closed while listing
            }
          });
    } catch (IOException e) {
      throw new IllegalStateException(e);
    }
    List<String> out = new ArrayList<>();
    for (String table : List.of("/proc/net/tcp", "/proc/net/tcp6")) {
      try {
        List<String> rows = Files.readAllLines(Paths.get(table));
        for (String row : rows.subList(1, rows.size())) {
          String[] f = row.trim().split("\\s+");
          if (inodes.remove(f[9])) {
            out.add(port(f[1]) + "->" + port(f[2]) + " " + f[3]);
          }
        }
      } catch (IOException e) {
        // no such table
      }
    }
    for (String table :
        List.of("/proc/net/udp", "/proc/net/udp6", "/proc/net/unix", "/proc/net/netlink")) {
      try {
        List<String> rows = Files.readAllLines(Paths.get(table));
        for (String row : rows.subList(1, rows.size())) {
          for (String f : row.trim().split("\\s+")) {
            if (inodes.remove(f)) {
              out.add(table + ": " + row.trim());
            }
          }
        }
      } catch (IOException e) {
        // no such table
      }
    }
    inodes.forEach(i -> out.add("inode " + i + " (not TCP)"));
    java.util.Collections.sort(out);
    return out;
  }

  private static int port(String hexAddress) {
    return Integer.parseInt(hexAddress.substring(hexAddress.indexOf(':') + 1), 16);
  }

  static int liveThreads() {
    return ManagementFactory.getThreadMXBean().getThreadCount();
  }

  /**
   * The manager's threads: its own pools, and its dispatcher threads while OkHttp runs a call on
   * them, which OkHttp renames to {@code OkHttp <url>} (a WebSocket's reader runs in that call).
   */
  private static List<String> managerThreads() {
    List<String> out = new ArrayList<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      String name = t.getName();
      if (t.isAlive()
          && (name.startsWith("ws-manager-soak-")
              || name.startsWith("OkHttp http://127.0.0.1:" + proxyPort + "/"))) {
        out.add(name);
      }
    }
    return out;
  }

  /** Live threads by name with digits stripped, e.g. {@code {OkHttp TaskRunner=12, main=1}}. */
  private static java.util.Map<String, Long> threadNames() {
    java.util.Map<String, Long> out = new java.util.TreeMap<>();
    for (Thread t : Thread.getAllStackTraces().keySet()) {
      out.merge(t.getName().replaceAll("[0-9]+", "N"), 1L, Long::sum);
    }
    return out;
  }

  private record Figures(long heapBytes, int threads, int managerThreads, int sockets) {
    static Figures measure() {
      MemoryMXBean memory = ManagementFactory.getMemoryMXBean();
      long used = Long.MAX_VALUE;
      for (int i = 0; i < 5; i++) {
        memory.gc();
        used = Math.min(used, memory.getHeapMemoryUsage().getUsed());
      }
      ThreadMXBean threads = ManagementFactory.getThreadMXBean();
      return new Figures(
          used, threads.getThreadCount(), SoakTest.managerThreads().size(), openSockets());
    }
  }

  /** Counts; keeps nothing per event, so the listener itself cannot grow the heap. */
  private static final class Counting implements StreamListener {
    final AtomicLong opens = new AtomicLong();
    final AtomicLong closed = new AtomicLong();

    @Override
    public void onOpen(ManagedStream stream) {
      opens.incrementAndGet();
    }

    @Override
    public void onClosed(ManagedStream stream) {
      closed.incrementAndGet();
    }
  }

  private static final class Report {
    private final StringBuilder text = new StringBuilder();

    Report() {
      line(
          "soak run at %s, Java %s, %d processors",
          Instant.now(), Runtime.version(), Runtime.getRuntime().availableProcessors());
    }

    void line(String format, Object... args) {
      String line = String.format(Locale.ROOT, format, args);
      System.out.println("[soak] " + line);
      text.append(line).append('\n');
    }

    void figure(String name, long start, long end) {
      line("%-28s %12d %12d %+12d", name, start, end, end - start);
    }

    void write() throws IOException {
      Path out = Paths.get("target", "soak-report.txt");
      Files.createDirectories(out.getParent());
      Files.writeString(out, text.toString(), StandardCharsets.UTF_8);
    }
  }
}
