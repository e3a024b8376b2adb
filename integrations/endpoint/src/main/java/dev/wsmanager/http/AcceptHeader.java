package dev.wsmanager.http;

import dev.wsmanager.http.MetricsEndpoint.Format;
import java.util.Locale;

/**
 * Chooses a {@code GET} format from an {@code Accept} header by quality value. Each format's
 * quality is that of the most specific media range matching it ({@code type/subtype}, then {@code
 * type/*}, then {@code *}{@code /*}). The highest quality wins; ties go to Prometheus text, then
 * OpenMetrics, then JSON. When nothing matches, or there is no header, Prometheus text is served
 * anyway: a scraper is better off with text than with a 406. Malformed ranges (empty, {@code ;}
 * alone, a bad {@code q}) match nothing or get quality 0; they never fail the request.
 */
final class AcceptHeader {
  private static final String[] MEDIA_TYPES = {
    "text/plain", "application/openmetrics-text", "application/json"
  };
  private static final Format[] FORMATS = {Format.PROMETHEUS, Format.OPENMETRICS, Format.JSON};

  private AcceptHeader() {}

  static Format choose(String accept) {
    if (accept == null || accept.isBlank()) {
      return Format.PROMETHEUS;
    }
    double[] quality = new double[MEDIA_TYPES.length];
    int[] specificity = {-1, -1, -1};
    for (String range : accept.split(",")) {
      String[] parts = range.split(";", -1);
      String mediaRange = parts[0].trim().toLowerCase(Locale.ROOT);
      double q = quality(parts);
      for (int i = 0; i < MEDIA_TYPES.length; i++) {
        int s = specificity(mediaRange, MEDIA_TYPES[i]);
        if (s > specificity[i] || (s == specificity[i] && s >= 0 && q > quality[i])) {
          specificity[i] = s;
          quality[i] = q;
        }
      }
    }
    int best = 0;
    for (int i = 1; i < quality.length; i++) {
      if (quality[i] > quality[best]) {
        best = i;
      }
    }
    return FORMATS[best];
  }

  /** 2 for an exact match, 1 for {@code type/*}, 0 for {@code *}{@code /*}, -1 for no match. */
  private static int specificity(String mediaRange, String mediaType) {
    if (mediaRange.equals(mediaType)) {
      return 2;
    }
    if (mediaRange.equals("*/*")) {
      return 0;
    }
    if (mediaRange.endsWith("/*")
        && mediaType.startsWith(mediaRange.substring(0, mediaRange.length() - 1))) {
      return 1;
    }
    return -1;
  }

  /** The {@code q} parameter; 1 when absent, 0 when malformed or out of range. */
  private static double quality(String[] parts) {
    for (int i = 1; i < parts.length; i++) {
      String param = parts[i].trim();
      if (param.length() >= 2
          && (param.charAt(0) == 'q' || param.charAt(0) == 'Q')
          && param.charAt(1) == '=') {
        try {
          double q = Double.parseDouble(param.substring(2).trim());
          return q >= 0 && q <= 1 ? q : 0;
        } catch (NumberFormatException e) {
          return 0;
        }
      }
    }
    return 1;
  }
}
