package dev.wsmanager.security;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.StreamSpec;
import dev.wsmanager.TestHooks;
import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.FakeTime;
import io.prometheus.metrics.expositionformats.ExpositionFormatWriter;
import io.prometheus.metrics.expositionformats.OpenMetricsTextFormatWriter;
import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Stream ids and constant label values with quotes, backslashes, newlines, tabs and non-ASCII text
 * come out escaped as the text formats require (backslash, double quote and line feed escaped,
 * everything else as UTF-8), in both the Prometheus and the OpenMetrics text format, and parse back
 * to the original values.
 */
class LabelEscapingTest {
  private static final String DESK = "fx \"spot\"\nlondon\\ü";
  private static final List<String> IDS =
      List.of("quote\"d", "new\nline", "back\\slash", "ünïcödé-日本-€", "tab\tid", "}{,=\"");

  private final FakeTime time = new FakeTime();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsManager manager =
      TestHooks.fakeTime(WsManager.builder(), time)
          .name("escaping")
          .registry(registry)
          .perStreamMetrics(true)
          .constantLabel("desk", DESK)
          .build();

  @AfterEach
  void tearDown() {
    manager.close();
  }

  private void openStreams() {
    for (String id : IDS) {
      manager.open(StreamSpec.builder(id, "ws://127.0.0.1:1/ws").build()); // refused: no I/O kept
    }
    Await.until("one attempt each", () -> manager.stats().connectionAttempts() == IDS.size());
  }

  @Test
  void bothTextFormatsEscapeExactlyAsSpecified() throws IOException {
    openStreams();
    String desk = "desk=\"fx \\\"spot\\\"\\nlondon\\\\ü\"";
    List<String> expected =
        List.of(
            "ws_manager_connection_attempts_total{"
                + desk
                + ",manager=\"escaping\",stream=\"back\\\\slash\"} 1.0",
            "ws_manager_connection_attempts_total{"
                + desk
                + ",manager=\"escaping\",stream=\"new\\nline\"} 1.0",
            "ws_manager_connection_attempts_total{"
                + desk
                + ",manager=\"escaping\",stream=\"quote\\\"d\"} 1.0",
            "ws_manager_connection_attempts_total{"
                + desk
                + ",manager=\"escaping\",stream=\"tab\tid\"} 1.0",
            "ws_manager_connection_attempts_total{"
                + desk
                + ",manager=\"escaping\",stream=\"ünïcödé-日本-€\"} 1.0",
            "ws_manager_connection_attempts_total{"
                + desk
                + ",manager=\"escaping\",stream=\"}{,=\\\"\"} 1.0");
    for (ExpositionFormatWriter writer :
        List.of(PrometheusTextFormatWriter.create(), OpenMetricsTextFormatWriter.create())) {
      List<String> lines = write(writer).lines().toList();
      assertThat(lines).as(writer.getClass().getSimpleName()).containsAll(expected);
    }
  }

  @Test
  void everySampleLineParsesBackToTheOriginalValues() throws IOException {
    openStreams();
    for (ExpositionFormatWriter writer :
        List.of(PrometheusTextFormatWriter.create(), OpenMetricsTextFormatWriter.create())) {
      String format = writer.getClass().getSimpleName();
      List<String> ids = new ArrayList<>();
      int samples = 0;
      for (String line : write(writer).lines().toList()) {
        if (line.startsWith("#")) {
          continue;
        }
        assertThat(line)
            .as("%s: a line that is neither comment nor sample", format)
            .startsWith("ws_manager_");
        samples++;
        Map<String, String> labels = labels(line);
        assertThat(labels)
            .as("%s: %s", format, line)
            .containsEntry("desk", DESK)
            .containsEntry("manager", "escaping");
        if (labels.containsKey("stream")) {
          ids.add(labels.get("stream"));
        }
      }
      assertThat(samples).isGreaterThan(0);
      // attempts, received and sent carry the stream label
      assertThat(ids).as(format).hasSize(3 * IDS.size());
      assertThat(Set.copyOf(ids)).as(format).containsExactlyInAnyOrderElementsOf(IDS);
    }
  }

  @Test
  void snapshotsKeepTheIdsAsGiven() {
    openStreams();
    assertThat(manager.streams()).extracting(s -> s.id()).containsExactlyInAnyOrderElementsOf(IDS);
  }

  private String write(ExpositionFormatWriter writer) throws IOException {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    writer.write(out, registry.scrape());
    return out.toString(StandardCharsets.UTF_8);
  }

  /** Parses {@code name{a="x",b="y"} value}, undoing the escapes \\, \" and \n. */
  static Map<String, String> labels(String line) {
    Map<String, String> out = new LinkedHashMap<>();
    int i = line.indexOf('{');
    if (i < 0) {
      return out;
    }
    i++;
    while (line.charAt(i) != '}') {
      int eq = line.indexOf('=', i);
      String name = line.substring(i, eq);
      if (line.charAt(eq + 1) != '"') {
        throw new AssertionError("label value not quoted in: " + line);
      }
      StringBuilder value = new StringBuilder();
      int j = eq + 2;
      for (; line.charAt(j) != '"'; j++) {
        char c = line.charAt(j);
        if (c == '\\') {
          char next = line.charAt(++j);
          switch (next) {
            case '\\' -> value.append('\\');
            case '"' -> value.append('"');
            case 'n' -> value.append('\n');
            default -> throw new AssertionError("bad escape \\" + next + " in: " + line);
          }
        } else {
          value.append(c);
        }
      }
      out.put(name, value.toString());
      i = j + 1;
      if (line.charAt(i) == ',') {
        i++;
      }
    }
    assertThat(line.substring(i + 1)).as("value after the labels").matches(" \\S+.*");
    return out;
  }
}
