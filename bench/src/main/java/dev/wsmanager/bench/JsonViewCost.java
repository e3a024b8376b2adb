package dev.wsmanager.bench;

import dev.wsmanager.WsManager;
import dev.wsmanager.http.MetricsEndpoint;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.management.ManagementFactory;
import java.util.Arrays;

/**
 * What one {@code GET} of the endpoint costs at 1,000 and 19,000 streams, by form: the JSON view's
 * default page, a page of 1,000, health and totals only, every stream page by page, and Prometheus
 * text. The streams never connect (they wait for admission), so every one is live without a socket.
 * Prints a Markdown table; the figures go to {@code docs/endpoint.md}.
 *
 * <pre>
 * ./mvnw -B -q -Pbench -DskipTests package
 * java -Xmx2g -cp bench/target/benchmarks.jar dev.wsmanager.bench.JsonViewCost
 * </pre>
 */
public final class JsonViewCost {
  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  private JsonViewCost() {}

  public static void main(String[] args) {
    System.out.println(
        "| streams | request | bytes | median µs | p90 µs | allocated per request |");
    System.out.println("|---|---|---|---|---|---|");
    for (int n : new int[] {1_000, 19_000}) {
      PrometheusRegistry registry = new PrometheusRegistry();
      try (WsManager m = ScrapeScenario.waitingManager(registry, false, n)) {
        MetricsEndpoint endpoint = MetricsEndpoint.builder().manager(m).registry(registry).build();
        measure(endpoint, n, "`?format=json` (first 100)", "format=json");
        measure(endpoint, n, "`?format=json&limit=1000`", "format=json&limit=1000");
        measure(endpoint, n, "`?format=json&streams=false`", "format=json&streams=false");
        measureAllPages(endpoint, n);
        measure(endpoint, n, "Prometheus text", null);
      }
    }
  }

  private static void measure(MetricsEndpoint endpoint, int n, String label, String query) {
    int rounds = 200;
    long[] nanos = new long[rounds];
    int bytes = 0;
    for (int i = 0; i < rounds; i++) {
      bytes = endpoint.handle("GET", query, null, null).bodyLength(); // warm-up
    }
    long allocated = THREADS.getCurrentThreadAllocatedBytes();
    for (int i = 0; i < rounds; i++) {
      long start = System.nanoTime();
      MetricsEndpoint.Response r = endpoint.handle("GET", query, null, null);
      nanos[i] = System.nanoTime() - start;
      if (r.status() != 200) {
        throw new IllegalStateException(label + " answered " + r.status());
      }
    }
    long perRequest = (THREADS.getCurrentThreadAllocatedBytes() - allocated) / rounds;
    print(n, label, bytes, nanos, perRequest);
  }

  /** Every stream, by pages of 1,000 until {@code next} is null: what a full listing costs. */
  private static void measureAllPages(MetricsEndpoint endpoint, int n) {
    int rounds = 20;
    long[] nanos = new long[rounds];
    long bytes = 0;
    long allocated = 0;
    for (int warm = 0; warm < 2; warm++) {
      for (int i = 0; i < rounds; i++) {
        long before = THREADS.getCurrentThreadAllocatedBytes();
        long start = System.nanoTime();
        bytes = 0;
        for (int offset = 0; offset < n; offset += 1000) {
          bytes +=
              endpoint
                  .handle("GET", "format=json&limit=1000&offset=" + offset, null, null)
                  .bodyLength();
        }
        nanos[i] = System.nanoTime() - start;
        allocated = THREADS.getCurrentThreadAllocatedBytes() - before;
      }
    }
    print(n, "every stream, " + ((n + 999) / 1000) + " pages of 1000", bytes, nanos, allocated);
  }

  private static void print(int n, String label, long bytes, long[] nanos, long allocated) {
    long[] sorted = nanos.clone();
    Arrays.sort(sorted);
    System.out.printf(
        "| %,d | %s | %,d | %,.0f | %,.0f | %,d B |%n",
        n,
        label,
        bytes,
        sorted[sorted.length / 2] / 1e3,
        sorted[sorted.length * 9 / 10] / 1e3,
        allocated);
  }
}
