package dev.wsmanager.micrometer;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.WsManager;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The alert rules work unchanged on a Micrometer scrape: every {@code ws_manager_*} series that the
 * promtool rule tests feed the rules ({@code ops/rules-tests/*.yml}, {@code input_series}) exists
 * in a real Micrometer scrape with the same label names (less the target labels {@code job} and
 * {@code instance}, which Prometheus adds).
 */
class RuleTestSeriesTest {
  private static final Pattern SERIES =
      Pattern.compile("series:\\s*['\"]?(ws_manager_[a-zA-Z0-9_]+)\\{([^}]*)}");
  private static final Pattern LABEL_NAME = Pattern.compile("([a-zA-Z_][a-zA-Z0-9_]*)\\s*=");
  private static final Set<String> TARGET_LABELS = Set.of("job", "instance");

  static Set<String> ruleTestInputSeries() throws Exception {
    Set<String> shapes = new TreeSet<>();
    List<Path> files;
    try (Stream<Path> s = Files.list(Path.of("..", "..", "ops", "rules-tests"))) {
      files = s.filter(p -> p.toString().endsWith(".yml")).sorted().toList();
    }
    assertThat(files).as("promtool rule tests").isNotEmpty();
    for (Path file : files) {
      Matcher m = SERIES.matcher(Files.readString(file));
      while (m.find()) {
        Set<String> labels = new TreeSet<>();
        Matcher l = LABEL_NAME.matcher(m.group(2));
        while (l.find()) {
          if (!TARGET_LABELS.contains(l.group(1))) {
            labels.add(l.group(1));
          }
        }
        shapes.add(m.group(1) + labels);
      }
    }
    return shapes;
  }

  @Test
  void everyInputSeriesOfTheRuleTestsIsInAMicrometerScrape() throws Exception {
    Set<String> wanted = ruleTestInputSeries();
    assertThat(wanted).as("ws_manager_ input series in the rule tests").hasSizeGreaterThan(5);

    // The rule tests use series with and without a constant label (track, as canaries have).
    // and with and without a stream group.
    Set<String> scraped = new TreeSet<>(micrometerShapes(WsManager.builder(), null));
    scraped.addAll(micrometerShapes(WsManager.builder().constantLabel("track", "stable"), null));
    scraped.addAll(micrometerShapes(WsManager.builder(), "g"));
    assertThat(scraped).containsAll(wanted);
  }

  private static Set<String> micrometerShapes(WsManager.Builder builder, String group)
      throws Exception {
    PrometheusMeterRegistry micrometer = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    try (Peer peer = new Peer();
        WsManager manager = builder.name("rules").registry(new PrometheusRegistry()).build()) {
      WsManagerMetrics metrics = new WsManagerMetrics(manager);
      metrics.bindTo(micrometer);
      Activity.run(manager, peer, group);
      micrometer.scrape(); // registers the series whose label values appeared after binding
      Set<String> shapes = new Scrape(micrometer.scrape(), "ws_manager_").shapes;
      metrics.close();
      return shapes;
    }
  }
}
