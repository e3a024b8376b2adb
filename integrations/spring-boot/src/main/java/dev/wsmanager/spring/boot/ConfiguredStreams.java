package dev.wsmanager.spring.boot;

import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;

/**
 * Turns {@code ws-manager.*} properties into the library's objects. The library's builders check
 * every value; their message, which names the field, is rethrown naming the property, so that a bad
 * value fails startup with Spring Boot's "Invalid value ... for configuration property" report.
 */
final class ConfiguredStreams {
  private static final String PREFIX = "ws-manager.";

  /** Library field names, as its messages spell them, to property names; most specific first. */
  private static final Map<String, String> SPEC_FIELDS =
      Map.of(
          "connectTimeout", "connect-timeout",
          "pingInterval", "ping-interval",
          "idleTimeout", "idle-timeout",
          "header", "headers",
          "url", "url",
          "stream id", "id");

  private static final List<String> SPEC_ORDER =
      List.of("connectTimeout", "pingInterval", "idleTimeout", "header", "url", "stream id");
  private static final List<String> POLICY_FIELDS =
      List.of("initialDelay", "maxDelay", "multiplier", "jitter", "maxAttempts", "minUptime");

  private ConfiguredStreams() {}

  /** Builds the manager; a bad name or constant label fails naming its property. */
  static WsManager build(WsManager.Builder builder, WsManagerProperties props) {
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      if (e.getMessage().startsWith("name")) {
        throw new InvalidConfigurationPropertyValueException(
            PREFIX + "name", props.getName(), e.getMessage());
      }
      if (e.getMessage().startsWith("constant label")) {
        throw new InvalidConfigurationPropertyValueException(
            "management.metrics.tags", null, e.getMessage());
      }
      throw e;
    }
  }

  static ReconnectPolicy policy(WsManagerProperties.Reconnect r) {
    ReconnectPolicy.Builder b = ReconnectPolicy.builder();
    if (r.getInitialDelay() != null) {
      b.initialDelay(r.getInitialDelay());
    }
    if (r.getMaxDelay() != null) {
      b.maxDelay(r.getMaxDelay());
    }
    if (r.getMultiplier() != null) {
      b.multiplier(r.getMultiplier());
    }
    if (r.getJitter() != null) {
      b.jitter(r.getJitter());
    }
    if (r.getMinUptime() != null) {
      b.minUptime(r.getMinUptime());
    }
    try {
      if (r.getMaxAttempts() != null) {
        b.maxAttempts(r.getMaxAttempts());
      }
      return b.build();
    } catch (IllegalArgumentException e) {
      String field =
          POLICY_FIELDS.stream().filter(f -> e.getMessage().startsWith(f)).findFirst().orElse(null);
      String property = PREFIX + "reconnect" + (field == null ? "" : "." + kebab(field));
      throw new InvalidConfigurationPropertyValueException(
          property, valueOf(r, field), e.getMessage());
    }
  }

  static List<StreamSpec> specs(WsManagerProperties props, ReconnectPolicy policy) {
    List<StreamSpec> specs = new ArrayList<>();
    List<WsManagerProperties.Stream> streams = props.getStreams();
    for (int i = 0; i < streams.size(); i++) {
      WsManagerProperties.Stream s = streams.get(i);
      String prefix = PREFIX + "streams[" + i + "].";
      StreamSpec.Builder b =
          StreamSpec.builder(nonNull(s.getId()), nonNull(s.getUrl())).reconnectPolicy(policy);
      if (!s.getSubscribe().isEmpty()) {
        b.subscribe(s.getSubscribe().toArray(String[]::new));
      }
      s.getHeaders().forEach(b::header);
      if (s.getPingInterval() != null) {
        b.pingInterval(s.getPingInterval());
      }
      if (s.getIdleTimeout() != null) {
        b.idleTimeout(s.getIdleTimeout());
      }
      if (s.getConnectTimeout() != null) {
        b.connectTimeout(s.getConnectTimeout());
      }
      try {
        specs.add(b.build());
      } catch (IllegalArgumentException e) {
        String field =
            SPEC_ORDER.stream().filter(f -> e.getMessage().contains(f)).findFirst().orElse(null);
        String property =
            field == null
                ? prefix.substring(0, prefix.length() - 1)
                : prefix + SPEC_FIELDS.get(field);
        throw new InvalidConfigurationPropertyValueException(
            property, valueOf(s, field), e.getMessage());
      }
    }
    return specs;
  }

  private static Object valueOf(WsManagerProperties.Stream s, String field) {
    if (field == null) {
      return s.getId();
    }
    switch (field) {
      case "connectTimeout":
        return s.getConnectTimeout();
      case "pingInterval":
        return s.getPingInterval();
      case "idleTimeout":
        return s.getIdleTimeout();
      case "header":
        return s.getHeaders();
      case "url":
        return s.getUrl();
      default:
        return s.getId();
    }
  }

  private static Object valueOf(WsManagerProperties.Reconnect r, String field) {
    if (field == null) {
      return null;
    }
    switch (field) {
      case "initialDelay":
        return r.getInitialDelay();
      case "maxDelay":
        return r.getMaxDelay();
      case "multiplier":
        return r.getMultiplier();
      case "jitter":
        return r.getJitter();
      case "maxAttempts":
        return r.getMaxAttempts();
      default:
        return r.getMinUptime();
    }
  }

  /** Unset id or url: the library then says it must not be blank. */
  private static String nonNull(String value) {
    return value == null ? "" : value;
  }

  private static String kebab(String camel) {
    return camel.replaceAll("([a-z])([A-Z])", "$1-$2").toLowerCase(Locale.ROOT);
  }
}
