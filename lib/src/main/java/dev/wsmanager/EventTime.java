package dev.wsmanager;

import java.util.function.ToLongFunction;

/**
 * Ready-made event-time extractors for {@link StreamSpec.Builder#eventTime}: they read when the
 * server says an event happened, in epoch milliseconds, so the manager can export how late messages
 * arrive ({@code ws_manager_message_delay_seconds}).
 *
 * <pre>{@code
 * StreamSpec.builder("binance-btcusdt", url)
 *     .eventTime(EventTime.jsonField("E"))   // {"e":"trade","E":1767225600000,...}
 *     .build();
 * }</pre>
 */
public final class EventTime {
  /** What an extractor returns for a message without an event time. */
  public static final long NONE = -1;

  private EventTime() {}

  /**
   * Reads the first field called {@code name} holding epoch milliseconds, as a number ({@code
   * "E":1767225600000}) or a string of digits ({@code "ts":"1767225600000"}), at any depth of a
   * JSON text, without parsing the rest of it: the cost is one {@code String.indexOf} plus the
   * digits. Messages without such a field give {@link #NONE}.
   *
   * @param name the field name, such as {@code E} (Binance) or {@code ts} (Bybit, OKX)
   * @return the extractor
   * @throws IllegalArgumentException if the name is empty or holds a quote or backslash
   */
  public static ToLongFunction<String> jsonField(String name) {
    if (name == null || name.isEmpty() || name.indexOf('"') >= 0 || name.indexOf('\\') >= 0) {
      throw new IllegalArgumentException(
          "event time field name must be non-empty without quotes or backslashes, was " + name);
    }
    String key = '"' + name + '"';
    return text -> millisAfter(text, key);
  }

  private static long millisAfter(String text, String key) {
    int from = 0;
    int n = text.length();
    while (true) {
      int at = text.indexOf(key, from);
      if (at < 0) {
        return NONE;
      }
      int i = skipSpaces(text, at + key.length());
      if (i < n && text.charAt(i) == ':') {
        i = skipSpaces(text, i + 1);
        if (i < n && text.charAt(i) == '"') {
          i++;
        }
        long value = 0;
        int digits = 0;
        while (i < n && digits < 18) {
          char c = text.charAt(i);
          if (c < '0' || c > '9') {
            break;
          }
          value = value * 10 + (c - '0');
          digits++;
          i++;
        }
        return digits == 0 ? NONE : value;
      }
      from = at + 1; // the key was a value, not a field name: look further
    }
  }

  private static int skipSpaces(String text, int i) {
    while (i < text.length() && text.charAt(i) <= ' ') {
      i++;
    }
    return i;
  }
}
