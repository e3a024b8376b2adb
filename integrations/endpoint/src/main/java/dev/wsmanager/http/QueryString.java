package dev.wsmanager.http;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/** A decoded query string. Unknown parameters are kept and ignored by callers. */
final class QueryString {
  private final Map<String, List<String>> params;

  private QueryString(Map<String, List<String>> params) {
    this.params = params;
  }

  /**
   * Decodes {@code name=value&...} (percent-encoding and {@code +} for space).
   *
   * @throws IllegalArgumentException with a one-line message if the encoding is malformed
   */
  static QueryString parse(String rawQuery) {
    Map<String, List<String>> params = new LinkedHashMap<>();
    if (rawQuery == null || rawQuery.isEmpty()) {
      return new QueryString(params);
    }
    for (String pair : rawQuery.split("&")) {
      if (pair.isEmpty()) {
        continue;
      }
      int eq = pair.indexOf('=');
      String name = decode(eq < 0 ? pair : pair.substring(0, eq));
      String value = eq < 0 ? "" : decode(pair.substring(eq + 1));
      params.computeIfAbsent(name, k -> new ArrayList<>()).add(value);
    }
    return new QueryString(params);
  }

  /**
   * The value of a parameter given at most once.
   *
   * @throws IllegalArgumentException if it is given more than once
   */
  Optional<String> single(String name) {
    List<String> values = params.get(name);
    if (values == null) {
      return Optional.empty();
    }
    if (values.size() > 1) {
      throw new IllegalArgumentException(name + " must be given at most once");
    }
    return Optional.of(values.get(0));
  }

  /** Every value of a parameter, in order; empty when absent. */
  List<String> all(String name) {
    return params.getOrDefault(name, List.of());
  }

  private static String decode(String s) {
    try {
      return URLDecoder.decode(s, StandardCharsets.UTF_8);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException("malformed query string: bad percent-encoding");
    }
  }
}
