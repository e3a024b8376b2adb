package dev.wsmanager.internal;

import java.net.URI;

/**
 * Masks in free text the secrets a stream's URL carries (user info, query values), and keeps values
 * on one log line. URLs themselves are masked by {@code StreamSpec.redactedUrl()}.
 */
final class Redaction {
  /** What replaces a secret. */
  static final String MASK = "***";

  /** Shorter query values are masked in URLs but not searched for in free text. */
  private static final int MIN_SCRUBBED_LENGTH = 4;

  private Redaction() {}

  /**
   * Replaces in {@code text} every secret that {@code uri} carries: its user info and each query
   * value. For messages that may quote the URL.
   */
  static String scrub(String text, URI uri) {
    if (text == null) {
      return null;
    }
    String result = text;
    String userInfo = uri.getRawUserInfo();
    if (userInfo != null && !userInfo.isEmpty()) {
      result = result.replace(userInfo, MASK);
      if (uri.getUserInfo() != null) {
        result = result.replace(uri.getUserInfo(), MASK);
      }
    }
    String query = uri.getRawQuery();
    if (query != null) {
      for (String pair : query.split("&")) {
        int eq = pair.indexOf('=');
        if (eq >= 0 && pair.length() - eq - 1 >= MIN_SCRUBBED_LENGTH) {
          result = result.replace(pair.substring(eq + 1), MASK);
        }
      }
    }
    return result;
  }

  /** {@code cause}, or a copy whose message has {@code uri}'s secrets masked. */
  static Throwable scrubCause(Throwable cause, URI uri) {
    String message = cause.getMessage();
    String clean = scrub(message, uri);
    if (message == null || message.equals(clean)) {
      return cause;
    }
    return new java.io.IOException(cause.getClass().getSimpleName() + ": " + clean);
  }

  /**
   * Escapes control characters ({@code \n} becomes {@code \\n}, others {@code \\uXXXX}) so a value
   * cannot break a log line in two.
   */
  static String printable(String value) {
    StringBuilder out = null;
    for (int i = 0; i < value.length(); i++) {
      char c = value.charAt(i);
      if (Character.isISOControl(c)) {
        if (out == null) {
          out = new StringBuilder(value.length() + 8).append(value, 0, i);
        }
        switch (c) {
          case '\n' -> out.append("\\n");
          case '\r' -> out.append("\\r");
          case '\t' -> out.append("\\t");
          default -> out.append(String.format("\\u%04x", (int) c));
        }
      } else if (out != null) {
        out.append(c);
      }
    }
    return out == null ? value : out.toString();
  }
}
