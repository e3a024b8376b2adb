package dev.wsmanager.bench;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamListener;
import dev.wsmanager.WsManager;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Scenario 5: a reconnect storm. N streams are open to a server process; a replacement process is
 * started on the same port (SO_REUSEPORT) and the first one is killed with SIGKILL, so every
 * connection drops at once and the server is healthy again at once. Counted from the kill: attempts
 * per 100 ms, total attempts, time until 99 % are open again, and failures with {@code Cannot
 * assign requested address}. The same manager with the default policy (jitter 0.5) and with {@code
 * jitter(0)}, alternating.
 */
final class StormScenario {
  private StormScenario() {}

  static final ReconnectPolicy JITTERED = ReconnectPolicy.defaults();
  static final ReconnectPolicy LOCKSTEP = ReconnectPolicy.builder().jitter(0).build();

  /** What one storm did. */
  record Storm(
      int n,
      long totalAttempts,
      long[] bucketAttempts,
      double millisTo99,
      double millisToAll,
      int cannotAssign,
      int failures) {
    long peak() {
      long p = 0;
      for (long b : bucketAttempts) {
        p = Math.max(p, b);
      }
      return p;
    }
  }

  static void run(Report report, Settings s) {
    StringBuilder details = new StringBuilder("## 5. Reconnect storm\n\n");
    details.append(
        "N streams are open to a server process. A replacement server process binds the same port"
            + " (both use SO_REUSEPORT), then the first one is killed with SIGKILL: every connection"
            + " drops at once and the server is back, healthy, at once. Counted from the kill, by"
            + " sampling `stats()` every 10 ms: connection attempts per 100 ms, total attempts, and"
            + " the time until 99 % (and 100 %) of the streams are OPEN again. The manager's admission"
            + " limit is raised to 20,000 attempts/s (burst 2,000) so that it does not hide the"
            + " jitter; the policy is the default (initial delay 500 ms, jitter 0.5: first retries"
            + " spread over 250–500 ms) or the same with `jitter(0)`. The jitter window's mean is"
            + " the wave's attempts spread evenly over those 250 ms, i.e. attempts × 100 / 250 per"
            + " 100 ms bucket.\n\n");
    details.append(
        "| N | policy | run | total attempts | peak /100 ms | time to 99 % OPEN ms | to 100 % ms |"
            + " failures | `Cannot assign requested address` | attempts per 100 ms from the kill |\n"
            + "|---|---|---|---|---|---|---|---|---|---|\n");
    List<Double> peakOverMean = new ArrayList<>();
    List<Double> attemptsPerStream = new ArrayList<>();
    List<Double> to99 = new ArrayList<>();
    List<Double> lockstepPeak = new ArrayList<>();
    int cannotAssign = 0;
    int n = 2_000;
    for (int pair = 0; pair < s.pairs(); pair++) {
      Storm jittered;
      Storm lockstep;
      if (pair % 2 == 0) {
        jittered = storm(n, JITTERED);
        lockstep = storm(n, LOCKSTEP);
      } else {
        lockstep = storm(n, LOCKSTEP);
        jittered = storm(n, JITTERED);
      }
      double mean = jittered.totalAttempts() * 100.0 / 250.0;
      peakOverMean.add(jittered.peak() / mean);
      attemptsPerStream.add(jittered.totalAttempts() / (double) n);
      to99.add(jittered.millisTo99());
      lockstepPeak.add(100.0 * lockstep.peak() / lockstep.totalAttempts());
      cannotAssign += jittered.cannotAssign() + lockstep.cannotAssign();
      details
          .append(line(jittered, "jitter 0.5", pair + 1))
          .append(line(lockstep, "jitter 0", pair + 1));
    }
    String big = "";
    if (!s.quick()) {
      Storm jittered = storm(10_000, JITTERED);
      Storm lockstep = storm(10_000, LOCKSTEP);
      details.append(line(jittered, "jitter 0.5", 1)).append(line(lockstep, "jitter 0", 1));
      cannotAssign += jittered.cannotAssign() + lockstep.cannotAssign();
      big =
          Support.fmt(
              "; at 10,000: %.2f attempts/stream, 99 %% OPEN after %.0f ms",
              jittered.totalAttempts() / 10_000.0, jittered.millisTo99());
    }
    Support.Spread ratio = Support.Spread.of(peakOverMean);
    Support.Spread perStream = Support.Spread.of(attemptsPerStream);
    report.row(
        "5 storm, 2,000: peak",
        "peak 100 ms ≤ 2 × mean over jitter window",
        ratio.format("%.2f")
            + "× (jitter 0: peak bucket holds "
            + Support.Spread.of(lockstepPeak).format("%.0f%%")
            + " of attempts)",
        ratio.median() <= 2.0,
        "bench/run.sh --only 5");
    report.row(
        "5 storm, 2,000: attempts",
        "total ≤ 1.1 × N; 0 `Cannot assign requested address`",
        perStream.format("%.2f")
            + " × N; 99 % OPEN after "
            + Support.Spread.of(to99).format("%.0f")
            + " ms; "
            + cannotAssign
            + " cannot-assign"
            + big,
        perStream.median() <= 1.1 && cannotAssign == 0,
        "bench/run.sh --only 5");
    report.section(details.toString());
  }

  private static String line(Storm st, String policy, int run) {
    StringBuilder buckets = new StringBuilder();
    int last = st.bucketAttempts().length;
    while (last > 0 && st.bucketAttempts()[last - 1] == 0) {
      last--;
    }
    for (int i = 0; i < last; i++) {
      buckets.append(i == 0 ? "" : " ").append(st.bucketAttempts()[i]);
    }
    return Support.fmt(
        "| %,d | %s | %d | %d | %d | %.0f | %.0f | %d | %d | %s |%n",
        st.n(),
        policy,
        run,
        st.totalAttempts(),
        st.peak(),
        st.millisTo99(),
        st.millisToAll(),
        st.failures(),
        st.cannotAssign(),
        buckets);
  }

  static Storm storm(int n, ReconnectPolicy policy) {
    AtomicInteger cannotAssign = new AtomicInteger();
    AtomicInteger failures = new AtomicInteger();
    StreamListener listener =
        new StreamListener() {
          @Override
          public void onFailure(ManagedStream stream, FailureReason reason, Throwable cause) {
            failures.incrementAndGet();
            if (String.valueOf(cause).contains("Cannot assign requested address")) {
              cannotAssign.incrementAndGet();
            }
          }
        };
    Support.Server first = Support.Server.start("idle", "reuseport", "0");
    Support.Server second = null;
    try (WsManager m =
        Clients.manager("storm")
            .maxConnectsPerSecond(20_000, 2_000)
            .reconnectPolicy(policy)
            .build()) {
      for (int i = 0; i < n; i++) {
        m.open(Clients.spec("s" + i, first.url(0)).listener(listener).build());
      }
      if (!Support.await(() -> m.stats().activeConnections() == n, 120_000)) {
        throw new IllegalStateException("storm: only " + m.stats().activeConnections() + " opened");
      }
      second = Support.Server.start("idle", "reuseport", Integer.toString(first.ports[0]));
      Support.sleep(300);
      failures.set(0);
      long attempts0 = m.stats().connectionAttempts();
      int maxSamples = 3_000; // 30 s at 10 ms
      long[] at = new long[maxSamples];
      long[] attempts = new long[maxSamples];
      long t0 = System.nanoTime();
      first.kill();
      double to99 = Double.NaN;
      double toAll = Double.NaN;
      int samples = 0;
      boolean sawDrop = false;
      while (samples < maxSamples) {
        long now = System.nanoTime();
        var stats = m.stats();
        at[samples] = now - t0;
        attempts[samples] = stats.connectionAttempts() - attempts0;
        samples++;
        long open = stats.activeConnections();
        if (open < n * 0.99) {
          sawDrop = true;
        }
        if (sawDrop && Double.isNaN(to99) && open >= n * 0.99) {
          to99 = (now - t0) / 1e6;
        }
        if (sawDrop && open == n) {
          toAll = (now - t0) / 1e6;
          break;
        }
        long next = t0 + samples * 10_000_000L;
        long sleep = (next - System.nanoTime()) / 1_000_000L;
        if (sleep > 0) {
          Support.sleep(sleep);
        }
      }
      Support.sleep(300); // count any straggling attempts
      long total = m.stats().connectionAttempts() - attempts0;
      int buckets = (int) (at[samples - 1] / 100_000_000L) + 2;
      long[] perBucket = new long[buckets];
      long previous = 0;
      for (int b = 0; b < buckets; b++) {
        long boundary = (b + 1) * 100_000_000L;
        long value = previous;
        for (int i = 0; i < samples && at[i] <= boundary; i++) {
          value = attempts[i];
        }
        if (b == buckets - 1) {
          value = total;
        }
        perBucket[b] = value - previous;
        previous = value;
      }
      m.close(Duration.ZERO);
      return new Storm(n, total, perBucket, to99, toAll, cannotAssign.get(), failures.get());
    } finally {
      first.kill();
      if (second != null) {
        second.kill();
      }
      Support.sleep(500);
    }
  }
}
