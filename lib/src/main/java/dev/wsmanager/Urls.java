package dev.wsmanager;

import java.net.URI;
import java.net.URISyntaxException;
import okhttp3.HttpUrl;

/** Stream URLs: checked by OkHttp's own rules, and masked for logs and exports. */
final class Urls {
  /** What replaces a secret. */
  static final String MASK = "***";

  private Urls() {}

  /**
   * Parses a stream URL the way OkHttp will when connecting ({@link HttpUrl}), so that what build()
   * accepts connects and what it rejects is rejected here, with the stream id.
   */
  static URI parse(String id, String url) {
    if (url == null || url.isBlank()) {
      throw new IllegalArgumentException("stream '" + id + "': url must not be blank");
    }
    String trimmed = url.trim();
    boolean tls = trimmed.regionMatches(true, 0, "wss:", 0, 4);
    if (!tls && !trimmed.regionMatches(true, 0, "ws:", 0, 3)) {
      throw new IllegalArgumentException(
          "stream '" + id + "': url must start with ws:// or wss://, was " + masked(trimmed));
    }
    int authority = trimmed.indexOf("//");
    if (authority < 0
        || authority + 2 >= trimmed.length()
        || "/?#".indexOf(trimmed.charAt(authority + 2)) >= 0) {
      // OkHttp would skip the empty authority and take the path for the host
      throw new IllegalArgumentException(
          "stream '"
              + id
              + "': url has no host, was "
              + masked(trimmed)
              + "; expected ws://host[:port]/path");
    }
    HttpUrl parsed;
    try {
      parsed = HttpUrl.get(toHttp(trimmed));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "stream '"
              + id
              + "': url "
              + masked(trimmed)
              + " is not valid: "
              + maskUserInfo(e.getMessage(), trimmed)
              + "; expected ws://host[:port]/path or wss://host[:port]/path");
    }
    try {
      return new URI(trimmed);
    } catch (URISyntaxException e) {
      // OkHttp accepts it: keep OkHttp's form, escaped as java.net.URI wants it
      String canonical = parsed.uri().toString();
      return URI.create((tls ? "wss" : "ws") + canonical.substring(canonical.indexOf(':')));
    }
  }

  /** OkHttp takes ws and wss URLs as http and https. */
  static String toHttp(String url) {
    return url.regionMatches(true, 0, "wss:", 0, 4)
        ? "https:" + url.substring(4)
        : "http:" + url.substring(3);
  }

  private static String maskUserInfo(String message, String url) {
    if (message == null) {
      return "rejected by OkHttp";
    }
    int start = url.indexOf("//");
    int at = url.indexOf('@');
    if (start >= 0 && at > start + 2) {
      return message.replace(url.substring(start + 2, at), MASK);
    }
    return message;
  }

  /** Masks user info and query values of a URL that may not even parse. */
  private static String masked(String url) {
    return url.replaceAll("://[^/?#@]*@", "://" + MASK + "@")
        .replaceAll("([?&][^=&#]*=)[^&#]*", "$1" + MASK);
  }

  /**
   * Returns {@code scheme://host:port/path?key=***}, with user info replaced by {@value #MASK} and
   * the fragment dropped.
   */
  static String redact(URI uri) {
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
}
