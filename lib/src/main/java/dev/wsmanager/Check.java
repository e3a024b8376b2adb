package dev.wsmanager;

import java.time.Duration;

/** The checks the builders share, with messages that name the field, the value and the fix. */
final class Check {
  private Check() {}

  /** Throws a {@link NullPointerException} saying which argument was null. */
  static <T> T notNull(T value, String what) {
    if (value == null) {
      throw new NullPointerException(what + " must not be null");
    }
    return value;
  }

  /**
   * Checks a duration: {@link Duration#ZERO} when {@code zeroMeans} is not null, else within {@code
   * [min, max]}. Durations are used in whole milliseconds, so a nonzero one below a millisecond
   * would silently mean zero: it is rejected.
   *
   * @param zeroMeans what zero means ("off", "no wait"), or null when zero is not allowed
   */
  static void duration(String field, Duration d, Duration min, Duration max, String zeroMeans) {
    if (d.isZero() && zeroMeans != null) {
      return;
    }
    boolean subMilli = !d.isNegative() && !d.isZero() && d.compareTo(Duration.ofMillis(1)) < 0;
    if (d.compareTo(min) < 0 || d.compareTo(max) > 0 || subMilli) {
      String allowed =
          (zeroMeans != null ? "0 (" + zeroMeans + ") or " : "")
              + "from "
              + human(min)
              + " to "
              + human(max);
      String hint = subMilli ? "; durations count in whole milliseconds" : "";
      throw new IllegalArgumentException(field + " must be " + allowed + ", was " + d + hint);
    }
  }

  /** {@code 250ms}, {@code 10s}, {@code 1h}... for messages. */
  static String human(Duration d) {
    long ms = d.toMillis();
    if (ms % 86_400_000L == 0 && ms >= 86_400_000L) {
      return ms / 86_400_000L + "d";
    }
    if (ms % 3_600_000L == 0 && ms >= 3_600_000L) {
      return ms / 3_600_000L + "h";
    }
    if (ms % 60_000L == 0 && ms >= 60_000L) {
      return ms / 60_000L + "min";
    }
    if (ms % 1_000L == 0 && ms >= 1_000L) {
      return ms / 1_000L + "s";
    }
    return ms + "ms";
  }

  /** A value for a message: control characters as {@code ?}, at most 100 characters. */
  static String printable(String value) {
    if (value == null) {
      return "null";
    }
    String oneLine = value.replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() <= 100 ? oneLine : oneLine.substring(0, 100) + "...";
  }
}
