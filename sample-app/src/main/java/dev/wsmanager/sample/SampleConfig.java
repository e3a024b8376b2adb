package dev.wsmanager.sample;

import dev.wsmanager.StreamSpec;
import dev.wsmanager.http.AdminEndpoint;
import dev.wsmanager.http.MetricsEndpoint;
import java.net.URI;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * The sample app's configuration, read from environment variables. An empty variable counts as
 * unset. This class parses the variables; the values themselves are checked by the library's
 * builders ({@link StreamSpec}, {@link MetricsEndpoint}, {@code WsManager}), whose messages (with
 * secrets masked) are passed on, prefixed with the variable's name.
 *
 * <ul>
 *   <li>{@code PORT}: where to serve {@code /api/ws/metrics}, 0 to 65535 (0 picks a free port).
 *       Default 3000.
 *   <li>{@code WS_STREAMS}: comma-separated {@code ws://} or {@code wss://} URLs to manage. Unset:
 *       start the embedded demo feed and manage five streams of it.
 *   <li>{@code WS_SUBSCRIBE_MESSAGE}: text sent on every (re)open of every stream.
 *   <li>{@code WS_METRICS_TOKEN}: a bearer token required to {@code GET} the metrics.
 *   <li>{@code WS_ADMIN_TOKEN}: a bearer token that turns on the admin routes ({@code POST
 *       /api/ws/streams/...}) and is required by them; without it they do not exist.
 *   <li>{@code WS_METRICS_LABELS}: constant labels on the manager's series, {@code name=value}
 *       pairs separated by commas, such as {@code track=canary,region=eu}.
 *   <li>{@code WS_MANAGER_NAME}: the manager's name, the {@code manager} label. Default {@code
 *       sample}.
 *   <li>{@code DEMO_CHAOS}: {@code true} makes the demo feed drop connections, delay heartbeat
 *       replies and skew its clock every few seconds.
 * </ul>
 *
 * @param port the HTTP port, 0 for any free one
 * @param streams the URLs to manage; empty for the demo feed
 * @param subscribeMessage sent on every (re)open, or {@code null}
 * @param metricsToken the bearer token for {@code GET}, or {@code null}
 * @param adminToken the bearer token of the admin routes, or {@code null} for no admin routes
 * @param labels constant labels, in the order given
 * @param managerName the manager's name
 * @param demoChaos whether the demo feed misbehaves
 */
record SampleConfig(
    int port,
    List<URI> streams,
    String subscribeMessage,
    String metricsToken,
    String adminToken,
    Map<String, String> labels,
    String managerName,
    boolean demoChaos) {

  static final int DEFAULT_PORT = 3000;
  static final String DEFAULT_MANAGER_NAME = "sample";
  static final Set<String> VARIABLES =
      Set.of(
          "PORT",
          "WS_STREAMS",
          "WS_SUBSCRIBE_MESSAGE",
          "WS_METRICS_TOKEN",
          "WS_ADMIN_TOKEN",
          "WS_METRICS_LABELS",
          "WS_MANAGER_NAME",
          "DEMO_CHAOS");

  /**
   * A configuration value that is wrong; the message is one line naming it and what is expected.
   */
  static final class ConfigException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConfigException(String message) {
      super(message, null, false, false);
    }
  }

  SampleConfig {
    streams = List.copyOf(streams);
    labels = Collections.unmodifiableMap(new LinkedHashMap<>(labels));
  }

  /** Whether the app starts the embedded demo feed, that is, {@code WS_STREAMS} is unset. */
  boolean demo() {
    return streams.isEmpty();
  }

  /**
   * Reads and checks every variable.
   *
   * @param env the environment, such as {@link System#getenv()}
   * @return the configuration
   * @throws ConfigException naming the first bad variable, its value (secrets masked) and what is
   *     expected
   */
  static SampleConfig fromEnv(Map<String, String> env) {
    return new SampleConfig(
        port(get(env, "PORT")),
        streams(get(env, "WS_STREAMS")),
        get(env, "WS_SUBSCRIBE_MESSAGE"),
        token("WS_METRICS_TOKEN", get(env, "WS_METRICS_TOKEN")),
        token("WS_ADMIN_TOKEN", get(env, "WS_ADMIN_TOKEN")),
        labels(get(env, "WS_METRICS_LABELS")),
        managerName(get(env, "WS_MANAGER_NAME")),
        bool("DEMO_CHAOS", get(env, "DEMO_CHAOS")));
  }

  /** Variables that look like ours ({@code WS_*}) but are not, most likely misspelt. */
  static List<String> unknownVariables(Map<String, String> env) {
    List<String> unknown = new ArrayList<>();
    for (String name : env.keySet()) {
      if (name.startsWith("WS_") && !VARIABLES.contains(name)) {
        unknown.add(name);
      }
    }
    Collections.sort(unknown);
    return unknown;
  }

  private static String get(Map<String, String> env, String name) {
    String value = env.get(name);
    return value == null || value.isEmpty() ? null : value;
  }

  private static int port(String value) {
    if (value == null) {
      return DEFAULT_PORT;
    }
    try {
      int port = Integer.parseInt(value.trim());
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // reported below
    }
    throw new ConfigException(
        "PORT must be a number from 0 to 65535, was '" + printable(value) + "'");
  }

  private static List<URI> streams(String value) {
    if (value == null) {
      return List.of();
    }
    String[] entries = value.split(",", -1);
    List<URI> urls = new ArrayList<>(entries.length);
    for (int i = 0; i < entries.length; i++) {
      String entry = entries[i].trim();
      if (entry.isEmpty()) {
        throw new ConfigException(
            "WS_STREAMS entry "
                + (i + 1)
                + " is empty; expected"
                + " comma-separated ws:// or wss:// URLs");
      }
      urls.add(streamUrl(i + 1, entry));
    }
    return urls;
  }

  /** Checked as the library will use it: by {@link StreamSpec}'s builder. */
  private static URI streamUrl(int entry, String url) {
    try {
      return StreamSpec.builder("WS_STREAMS entry " + entry, url).build().uri();
    } catch (IllegalArgumentException e) {
      throw new ConfigException(e.getMessage());
    }
  }

  /** Checked as the endpoint will use it; the message never shows the token. */
  private static String token(String name, String value) {
    if (value == null) {
      return null;
    }
    try {
      if (name.equals("WS_ADMIN_TOKEN")) {
        AdminEndpoint.builder().adminToken(value);
      } else {
        MetricsEndpoint.builder().bearerToken(value);
      }
    } catch (IllegalArgumentException e) {
      throw new ConfigException(name + ": " + e.getMessage());
    }
    return value;
  }

  private static Map<String, String> labels(String value) {
    Map<String, String> labels = new LinkedHashMap<>();
    if (value == null) {
      return labels;
    }
    for (String pair : value.split(",", -1)) {
      String entry = pair.trim();
      int eq = entry.indexOf('=');
      if (eq <= 0 || eq == entry.length() - 1) {
        throw new ConfigException(
            "WS_METRICS_LABELS entry '"
                + printable(entry)
                + "' must look like name=value, such as track=canary");
      }
      // label names are checked by the manager's builder (see SampleApp)
      String name = entry.substring(0, eq).trim();
      String labelValue = entry.substring(eq + 1).trim();
      if (labels.put(name, labelValue) != null) {
        throw new ConfigException("WS_METRICS_LABELS sets label '" + name + "' twice");
      }
    }
    return labels;
  }

  /** Checked by the manager's builder (see SampleApp). */
  private static String managerName(String value) {
    return value == null ? DEFAULT_MANAGER_NAME : value;
  }

  private static boolean bool(String name, String value) {
    if (value == null || value.equalsIgnoreCase("false")) {
      return false;
    }
    if (value.equalsIgnoreCase("true")) {
      return true;
    }
    throw new ConfigException(name + " must be true or false, was '" + printable(value) + "'");
  }

  /** Keeps a quoted value on one line and short. */
  private static String printable(String value) {
    String oneLine = value.replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() <= 100 ? oneLine : oneLine.substring(0, 100) + "...";
  }

  @Override
  public String toString() {
    return "SampleConfig{port="
        + port
        + ", streams="
        + streams.size()
        + ", subscribe="
        + (subscribeMessage != null)
        + ", token="
        + (metricsToken != null ? "***" : "none")
        + ", adminToken="
        + (adminToken != null ? "***" : "none")
        + ", labels="
        + labels
        + ", managerName="
        + managerName
        + ", demoChaos="
        + demoChaos
        + '}';
  }
}
