package dev.wsmanager.internal;

import java.net.URI;

/** Masks the secrets a URL may carry (user info, query values) so it can be logged and exported. */
public final class Redaction {
  /** What replaces a secret. */
  public static final String MASK = "***";
  /** Shorter query values are masked in URLs but not searched for in free text. */
  private static final int MIN_SCRUBBED_LENGTH = 4;

  private Redaction() {}

  /**
   * Returns {@code scheme://host:port/path?key=***}, with user info replaced by {@value #MASK} and
   * the fragment dropped.
   */
  public static String redact(URI uri) {
    StringBuilder out = new StringBuilder(64);
    if (uri.getScheme() != null) {
      out.append(uri.getScheme()).append("://");
    }
    if (uri.getRawUserInfo() != null) {
      out.append(MASK).append('@');
    }
    if (uri.getHost() != null) {
      out.append(uri.getHost());
      if (uri.getPort() != -1) {
        out.append(':').append(uri.getPort());
      }
    } else if (uri.getRawAuthority() != null) {
      String authority = uri.getRawAuthority();
      int at = authority.lastIndexOf('@');
      out.append(at >= 0 ? authority.substring(at + 1) : authority);
    } else if (uri.getRawSchemeSpecificPart() != null && uri.getScheme() == null) {
      return MASK;
    }
    if (uri.getRawPath() != null) {
      out.append(uri.getRawPath());
    }
    String query = uri.getRawQuery();
    if (query != null) {
      out.append('?');
      String[] pairs = query.split("&", -1);
      for (int i = 0; i < pairs.length; i++) {
        if (i > 0) {
          out.append('&');
        }
        int eq = pairs[i].indexOf('=');
        out.append(eq >= 0 ? pairs[i].substring(0, eq + 1) + MASK : pairs[i]);
      }
    }
    return out.toString();
  }

  /**
   * Replaces in {@code text} every secret that {@code uri} carries: its user info and each query
   * value. For messages that may quote the URL.
   */
  public static String scrub(String text, URI uri) {
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

  /**
   * Escapes control characters ({@code \n} becomes {@code \\n}, others {@code \\uXXXX}) so a
   * value cannot break a log line in two.
   */
  public static String printable(String value) {
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
