package dev.wsmanager.internal;

import io.prometheus.metrics.model.snapshots.ClassicHistogramBuckets;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot.HistogramDataPointSnapshot;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * A classic histogram kept as lock-free adders: recording is a bucket search over a dozen bounds
 * and two adds, with no allocation. Read at scrape time.
 */
final class HistogramCounts {
  private final double[] bounds;
  private final LongAdder[] counts;
  private final DoubleAdder sum = new DoubleAdder();

  HistogramCounts(double... upperBounds) {
    this.bounds = upperBounds.clone();
    this.counts = new LongAdder[upperBounds.length + 1];
    for (int i = 0; i < counts.length; i++) {
      counts[i] = new LongAdder();
    }
  }

  void record(double value) {
    int i = 0;
    while (i < bounds.length && value > bounds[i]) {
      i++;
    }
    counts[i].increment();
    sum.add(value);
  }

  long count() {
    long n = 0;
    for (LongAdder c : counts) {
      n += c.sum();
    }
    return n;
  }

  double sum() {
    return sum.sum();
  }

  HistogramDataPointSnapshot snapshot(Labels labels) {
    double[] upper = new double[bounds.length + 1];
    long[] n = new long[upper.length];
    System.arraycopy(bounds, 0, upper, 0, bounds.length);
    upper[bounds.length] = Double.POSITIVE_INFINITY;
    for (int i = 0; i < n.length; i++) {
      n[i] = counts[i].sum();
    }
    return HistogramDataPointSnapshot.builder()
        .labels(labels)
        .classicHistogramBuckets(ClassicHistogramBuckets.of(upper, n))
        .sum(sum.sum())
        .build();
  }
}
