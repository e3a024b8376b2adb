package dev.wsmanager.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.WsManager;
import io.micrometer.core.instrument.Tags;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * For the same activity, a Micrometer {@link PrometheusMeterRegistry} scrape has exactly the series
 * names, label names and values of the native export. Generic: a series the native export gains and
 * the binder lacks fails here.
 */
class NativeSeriesTest {
  /** Micrometer adds a {@code _max} gauge to every timer; nothing else may differ. */
  static Set<String> timerMaxShapes(Set<String> nativeShapes) {
    Set<String> out = new TreeSet<>();
    for (String shape : nativeShapes) {
      int i = shape.indexOf("_bucket[");
      if (i > 0) {
        out.add(shape.substring(0, i) + "_max[" + shape.substring(i + 8).replace("le, ", ""));
      }
    }
    return out;
  }

  static String nativeText(PrometheusRegistry registry) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    PrometheusTextFormatWriter.create().write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  /** A binder that reads the manager on every read, so that both scrapes see the same instant. */
  static WsManagerMetrics binder(WsManager manager) {
    AtomicLong clock = new AtomicLong();
    return new WsManagerMetrics(
        manager, Tags.empty(), () -> clock.addAndGet(WsManagerMetrics.REFRESH_MILLIS * 1_000_000));
  }

  @ParameterizedTest(name = "perStreamMetrics={0}")
  @ValueSource(booleans = {false, true})
  void micrometerScrapeHasTheNativeSeriesNamesLabelsAndValues(boolean perStream) throws Exception {
    PrometheusRegistry nativeRegistry = new PrometheusRegistry();
    PrometheusMeterRegistry micrometer = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (Peer peer = new Peer();
        WsManager manager =
            WsManager.builder()
                .name("cmp")
                .registry(nativeRegistry)
                .constantLabel("track", "stable")
                .perStreamMetrics(perStream)
                .build()) {
      WsManagerMetrics metrics = binder(manager);
      metrics.bindTo(micrometer);
      Activity.run(manager, peer);
      micrometer.scrape(); // per-stream series of streams opened after binding: registered now

      Scrape nativeScrape = new Scrape(nativeText(nativeRegistry), "ws_manager_");
      Scrape micrometerScrape = new Scrape(micrometer.scrape(), "ws_manager_");

      Set<String> micrometerShapes = new TreeSet<>(micrometerScrape.shapes);
      Set<String> timerMax = timerMaxShapes(nativeScrape.shapes);
      assertThat(timerMax).contains("ws_manager_connect_duration_seconds_max[manager, track]");
      assertThat(micrometerShapes).as("Micrometer's timer max").containsAll(timerMax);
      micrometerShapes.removeAll(timerMax);
      assertThat(micrometerShapes)
          .as("series and label names of the Micrometer scrape, against the native one")
          .containsExactlyElementsOf(nativeScrape.shapes);
      assertThat(nativeScrape.shapes).contains("ws_manager_active_connections[manager, track]");

      for (Map.Entry<String, Double> e : nativeScrape.samples.entrySet()) {
        String sample = e.getKey();
        if (sample.startsWith("ws_manager_connect_duration_seconds_sum")) {
          assertThat(micrometerScrape.samples.get(sample)).as(sample).isPositive();
        } else {
          assertThat(micrometerScrape.samples.get(sample)).as(sample).isEqualTo(e.getValue());
        }
      }
      assertThat(nativeScrape.samples)
          .containsEntry("ws_manager_active_connections{manager=cmp, track=stable}", 1.0);
      metrics.close();
    }
  }
}
