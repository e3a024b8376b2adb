package dev.wsmanager.bench;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BooleanSupplier;
import okhttp3.ConnectionPool;
import okhttp3.Dispatcher;
import okhttp3.OkHttpClient;

/** What the scenarios share: the server process, the raw client, statistics and /proc readings. */
final class Support {
  private Support() {}

  /** The loopback server, in its own process. */
  static final class Server implements AutoCloseable {
    final Process process;
    final int[] ports;

    private Server(Process process, int[] ports) {
      this.process = process;
      this.ports = ports;
    }

    static Server start(String mode, String... portsAndFlags) {
      List<String> cmd = new ArrayList<>();
      cmd.add(javaBinary(System.getProperty("java.home")));
      cmd.add("-Xms64m");
      cmd.add("-Xmx512m");
      cmd.add("-XX:+UseSerialGC");
      cmd.add("-cp");
      cmd.add(System.getProperty("java.class.path"));
      cmd.add(LoopbackServer.class.getName());
      cmd.add(mode);
      cmd.addAll(Arrays.asList(portsAndFlags.length == 0 ? new String[] {"0"} : portsAndFlags));
      try {
        Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
        BufferedReader out =
            new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
        String line = out.readLine();
        if (line == null || !line.startsWith("READY")) {
          p.destroyForcibly();
          throw new IllegalStateException("server did not start: " + line);
        }
        String[] parts = line.trim().split(" ");
        int[] ports = new int[parts.length - 1];
        for (int i = 1; i < parts.length; i++) {
          ports[i - 1] = Integer.parseInt(parts[i]);
        }
        return new Server(p, ports);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }

    String url(int i) {
      return "ws://127.0.0.1:" + ports[i % ports.length] + "/ws";
    }

    /** SIGKILL: the kernel closes its sockets, as when a server crashes. */
    void kill() {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
    }

    @Override
    public void close() {
      kill();
    }
  }

  static String javaBinary(String javaHome) {
    return Path.of(javaHome, "bin", "java").toString();
  }

  /**
   * A raw OkHttp client configured the way the manager configures the one it creates: an unbounded
   * dispatcher (each WebSocket holds a slot for its whole life), no pings, no pooled connections,
   * no read timeout (OkHttp's default of 10 s stays on a WebSocket's socket and costs every read an
   * Okio {@code AsyncTimeout}; scenario 1 measures that tax).
   */
  static OkHttpClient rawClient(ExecutorService executor) {
    Dispatcher dispatcher =
        new Dispatcher(executor != null ? executor : platformExecutor("raw-io"));
    dispatcher.setMaxRequests(Integer.MAX_VALUE);
    dispatcher.setMaxRequestsPerHost(Integer.MAX_VALUE);
    return new OkHttpClient.Builder()
        .dispatcher(dispatcher)
        .connectionPool(new ConnectionPool(0, 1, TimeUnit.SECONDS))
        .readTimeout(0, TimeUnit.SECONDS)
        .build();
  }

  static ExecutorService platformExecutor(String prefix) {
    AtomicInteger n = new AtomicInteger();
    return new ThreadPoolExecutor(
        0,
        Integer.MAX_VALUE,
        60,
        TimeUnit.SECONDS,
        new SynchronousQueue<>(),
        r -> {
          Thread t = new Thread(r, prefix + "-" + n.incrementAndGet());
          t.setDaemon(true);
          return t;
        });
  }

  static void shutdown(OkHttpClient client) {
    client.dispatcher().cancelAll();
    client.dispatcher().executorService().shutdown();
    client.connectionPool().evictAll();
    try {
      client.dispatcher().executorService().awaitTermination(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static boolean await(BooleanSupplier condition, long timeoutMillis) {
    long deadline = System.nanoTime() + timeoutMillis * 1_000_000L;
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        return false;
      }
      sleep(5);
    }
    return true;
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  /** Median and range of a sample. */
  record Spread(double median, double min, double max, int n) {
    static Spread of(List<Double> values) {
      double[] v = values.stream().mapToDouble(Double::doubleValue).sorted().toArray();
      if (v.length == 0) {
        return new Spread(Double.NaN, Double.NaN, Double.NaN, 0);
      }
      double median =
          v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
      return new Spread(median, v[0], v[v.length - 1], v.length);
    }

    String format(String pattern) {
      return String.format(Locale.ROOT, pattern, median)
          + " ("
          + String.format(Locale.ROOT, pattern, min)
          + "–"
          + String.format(Locale.ROOT, pattern, max)
          + ")";
    }
  }

  static String fmt(String pattern, Object... args) {
    return String.format(Locale.ROOT, pattern, args);
  }

  /** A value of {@code /proc/self/status} in kB (VmRSS) or as a count (Threads), -1 if absent. */
  static long procStatus(String field) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith(field + ":")) {
          return Long.parseLong(line.substring(field.length() + 1).trim().split("\\s+")[0]);
        }
      }
    } catch (IOException | RuntimeException e) {
      return -1;
    }
    return -1;
  }

  /** CPU time (user + system) another process has used so far, from /proc/PID/stat. */
  static long processCpuNanos(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
      String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
      // fields 14 and 15 of stat(5), counted from the state field (3) here at index 0
      long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]);
      return ticks * (1_000_000_000L / CLOCK_TICKS);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  /** USER_HZ: the unit of /proc/PID/stat's CPU times; 100 on every Linux ABI this runs on. */
  static final long CLOCK_TICKS = 100;

  /** The soft limit on open files of this process, as {@code /proc/self/limits} states it. */
  static String openFilesLimit() {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/self/limits"))) {
        if (line.startsWith("Max open files")) {
          return fmt("%,d", Long.parseLong(line.substring(26).trim().split("\\s+")[0]));
        }
      }
    } catch (IOException | RuntimeException e) {
      return "unknown";
    }
    return "unknown";
  }

  /** CPU time this process has used, all threads. */
  static long processCpuNanos() {
    return ((com.sun.management.OperatingSystemMXBean)
            java.lang.management.ManagementFactory.getOperatingSystemMXBean())
        .getProcessCpuTime();
  }

  /** The p-th percentile (0..100) of sorted values. */
  static long percentile(long[] sorted, double p) {
    int i = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
    return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
  }

  /** A virtual-thread-per-task executor (JDK 21+), looked up so the harness compiles for 17. */
  static java.util.concurrent.ExecutorService virtualThreads() {
    try {
      return (java.util.concurrent.ExecutorService)
          java.util.concurrent.Executors.class
              .getMethod("newVirtualThreadPerTaskExecutor")
              .invoke(null);
    } catch (ReflectiveOperationException e) {
      throw new IllegalStateException(
          "virtual threads need JDK 21 or newer; this runtime is Java "
              + Runtime.version().feature(),
          e);
    }
  }
}
