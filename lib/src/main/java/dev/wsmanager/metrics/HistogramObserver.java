package dev.wsmanager.metrics;

import io.prometheus.metrics.model.snapshots.Labels;

/**
 * Receives each value a manager's histograms record, as it is recorded. A bridge to a metrics
 * system that keeps its own histograms (a Micrometer {@code Timer}, for example) feeds them from
 * here; see {@code WsManager.addHistogramObserver}.
 */
@FunctionalInterface
public interface HistogramObserver {
  /**
   * Called once per recorded value, on the thread that records it; must be quick and must not
   * throw.
   *
   * @param name the histogram's name as exported, such as {@link MetricNames#CONNECT_DURATION}
   * @param labels the labels of the series the value is recorded in
   * @param value the value, in the histogram's base unit (seconds for durations)
   */
  void observe(String name, Labels labels, double value);
}
