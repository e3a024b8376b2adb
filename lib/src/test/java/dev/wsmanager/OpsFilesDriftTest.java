package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import io.prometheus.metrics.model.snapshots.HistogramSnapshot;
import io.prometheus.metrics.model.snapshots.MetricSnapshot;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The dashboard and the rules at the repository root may only refer to series the library really
 * exports: a renamed metric must fail the build, not an SRE's dashboard.
 */
class OpsFilesDriftTest {
  /**
   * A metric reference: not part of a recording-rule name such as {@code job:ws_manager_x:rate5m}.
   */
  private static final Pattern REFERENCE =
      Pattern.compile("(?<![:\\w])(ws_manager_\\w+)(?![\\w:])");

  private static Set<String> exportedSeriesNames() throws Exception {
    PrometheusRegistry registry = new PrometheusRegistry();
    Set<String> names = new TreeSet<>();
    try (WsPeer peer = new WsPeer();
        WsManager manager = WsManager.builder().name("drift").registry(registry).build()) {
      ManagedStream s = manager.open(StreamSpec.builder("a", peer.url()).build());
      Await.until("open", () -> s.state() == StreamState.OPEN);
      for (MetricSnapshot m : registry.scrape()) {
        String name = m.getMetadata().getPrometheusName();
        if (m instanceof CounterSnapshot) {
          names.add(name + "_total");
        } else if (m instanceof HistogramSnapshot) {
          names.add(name + "_bucket");
          names.add(name + "_sum");
          names.add(name + "_count");
        } else {
          names.add(name);
        }
      }
    }
    return names;
  }

  private static Set<String> referencedIn(String file) throws Exception {
    String text = Files.readString(Path.of("..", file));
    Set<String> refs = new TreeSet<>();
    Matcher m = REFERENCE.matcher(text);
    while (m.find()) {
      refs.add(m.group(1));
    }
    return refs;
  }

  @Test
  void everyMetricTheDashboardAndRulesUseIsExported() throws Exception {
    Set<String> exported = exportedSeriesNames();
    assertThat(exported).contains("ws_manager_active_connections", "ws_manager_retry_count_total");
    Set<String> dashboard = referencedIn("grafana-dashboard.json");
    Set<String> rules = referencedIn("ws-manager-rules.yml");
    assertThat(dashboard).as("dashboard references").isNotEmpty();
    assertThat(rules).as("rules references").isNotEmpty();
    assertThat(exported).as("exported series").containsAll(dashboard).containsAll(rules);
  }

  @Test
  void theDocumentedMetricsAreExactlyTheExportedOnes() throws Exception {
    Set<String> documented = new TreeSet<>(referencedIn("docs/metrics.md"));
    Set<String> exportedFamilies = new TreeSet<>();
    for (String n : exportedSeriesNames()) {
      exportedFamilies.add(n.replaceAll("_(bucket|sum|count)$", ""));
    }
    assertThat(documented).isEqualTo(exportedFamilies);
  }
}
