package dev.wsmanager.testing;

import io.prometheus.metrics.expositionformats.PrometheusTextFormatWriter;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;

/** Reads one sample from a registry's Prometheus text exposition. */
public final class Scrape {
  private Scrape() {}

  /**
   * The value of the first sample of {@code name} whose labels contain {@code label} (such as
   * {@code reason="too_large"}, or "" for any).
   */
  public static double value(PrometheusRegistry registry, String name, String label) {
    ByteArrayOutputStream out = new ByteArrayOutputStream();
    try {
      PrometheusTextFormatWriter.create().write(out, registry.scrape());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    for (String line : out.toString(StandardCharsets.UTF_8).split("\n")) {
      if (line.startsWith(name + "{") && line.contains(label)) {
        return Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    throw new AssertionError("no sample " + name + " with " + label);
  }
}
