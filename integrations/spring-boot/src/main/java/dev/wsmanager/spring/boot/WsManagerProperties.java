package dev.wsmanager.spring.boot;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.boot.context.properties.ConfigurationProperties;

/**
 * The {@code ws-manager.*} properties. Values left unset keep the library's defaults; every value
 * is checked by the library's own builders when the application starts.
 */
@ConfigurationProperties("ws-manager")
public class WsManagerProperties {
  /** Whether to create the manager and open the configured streams. */
  private boolean enabled = true;

  /** The manager's name: the value of the manager label on every series. */
  private String name = "default";

  /**
   * Adds a stream label (the stream id) to the attempt, received and sent counters; only for a
   * bounded number of streams.
   */
  private boolean perStreamMetrics;

  /** The streams to open when the application starts. */
  private List<Stream> streams = new ArrayList<>();

  /** The reconnect policy of every configured stream. */
  private final Reconnect reconnect = new Reconnect();

  /** The wsManager health indicator. */
  private final Health health = new Health();

  /** The /api/ws/metrics endpoint on the application's own server. */
  private final Endpoint endpoint = new Endpoint();

  public boolean isEnabled() {
    return enabled;
  }

  public void setEnabled(boolean enabled) {
    this.enabled = enabled;
  }

  public String getName() {
    return name;
  }

  public void setName(String name) {
    this.name = name;
  }

  public boolean isPerStreamMetrics() {
    return perStreamMetrics;
  }

  public void setPerStreamMetrics(boolean perStreamMetrics) {
    this.perStreamMetrics = perStreamMetrics;
  }

  public List<Stream> getStreams() {
    return streams;
  }

  public void setStreams(List<Stream> streams) {
    this.streams = streams;
  }

  public Reconnect getReconnect() {
    return reconnect;
  }

  public Health getHealth() {
    return health;
  }

  public Endpoint getEndpoint() {
    return endpoint;
  }

  /** One stream: {@code ws-manager.streams[N].*}. */
  public static class Stream {
    /** A unique id within the manager; appears in logs, snapshots and the JSON view. */
    private String id;

    /** The ws:// or wss:// URL. */
    private String url;

    /** Messages sent after every (re)connect, in order, such as subscription requests. */
    private List<String> subscribe = new ArrayList<>();

    /** Headers sent with the handshake. */
    private Map<String, String> headers = new LinkedHashMap<>();

    /** How often to ping; 0 turns pings off. Library default 20s. */
    private Duration pingInterval;

    /** Reconnects when nothing arrives for this long; 0 turns it off. Library default: off. */
    private Duration idleTimeout;

    /** The longest a connection attempt may take. Library default 10s. */
    private Duration connectTimeout;

    public String getId() {
      return id;
    }

    public void setId(String id) {
      this.id = id;
    }

    public String getUrl() {
      return url;
    }

    public void setUrl(String url) {
      this.url = url;
    }

    public List<String> getSubscribe() {
      return subscribe;
    }

    public void setSubscribe(List<String> subscribe) {
      this.subscribe = subscribe;
    }

    public Map<String, String> getHeaders() {
      return headers;
    }

    public void setHeaders(Map<String, String> headers) {
      this.headers = headers;
    }

    public Duration getPingInterval() {
      return pingInterval;
    }

    public void setPingInterval(Duration pingInterval) {
      this.pingInterval = pingInterval;
    }

    public Duration getIdleTimeout() {
      return idleTimeout;
    }

    public void setIdleTimeout(Duration idleTimeout) {
      this.idleTimeout = idleTimeout;
    }

    public Duration getConnectTimeout() {
      return connectTimeout;
    }

    public void setConnectTimeout(Duration connectTimeout) {
      this.connectTimeout = connectTimeout;
    }
  }

  /** {@code ws-manager.reconnect.*}: backoff between reconnects. */
  public static class Reconnect {
    /** The delay after the first failure. Library default 500ms. */
    private Duration initialDelay;

    /** The longest delay. Library default 30s. */
    private Duration maxDelay;

    /** How much each further failure multiplies the delay by, at least 1.0. Library default 2.0. */
    private Double multiplier;

    /** Random spread of each delay, within [0, 1]. Library default 0.5. */
    private Double jitter;

    /** Consecutive failures after which a stream gives up (FAILED). Library default: never. */
    private Integer maxAttempts;

    /** How long a connection must stay open before the backoff resets. Library default 10s. */
    private Duration minUptime;

    public Duration getInitialDelay() {
      return initialDelay;
    }

    public void setInitialDelay(Duration initialDelay) {
      this.initialDelay = initialDelay;
    }

    public Duration getMaxDelay() {
      return maxDelay;
    }

    public void setMaxDelay(Duration maxDelay) {
      this.maxDelay = maxDelay;
    }

    public Double getMultiplier() {
      return multiplier;
    }

    public void setMultiplier(Double multiplier) {
      this.multiplier = multiplier;
    }

    public Double getJitter() {
      return jitter;
    }

    public void setJitter(Double jitter) {
      this.jitter = jitter;
    }

    public Integer getMaxAttempts() {
      return maxAttempts;
    }

    public void setMaxAttempts(Integer maxAttempts) {
      this.maxAttempts = maxAttempts;
    }

    public Duration getMinUptime() {
      return minUptime;
    }

    public void setMinUptime(Duration minUptime) {
      this.minUptime = minUptime;
    }
  }

  /** {@code ws-manager.health.*}. */
  public static class Health {
    /**
     * What a FAILED stream (one that gave up: a 401/403/404 handshake, or max-attempts reached)
     * does to the wsManager health: DOWN makes it DOWN, IGNORE leaves it UP (FAILED streams are
     * still counted in the details).
     */
    private FailedStreamsPolicy failedStreams = FailedStreamsPolicy.DOWN;

    public FailedStreamsPolicy getFailedStreams() {
      return failedStreams;
    }

    public void setFailedStreams(FailedStreamsPolicy failedStreams) {
      this.failedStreams = failedStreams;
    }
  }

  /** What a FAILED stream does to the health indicator. */
  public enum FailedStreamsPolicy {
    /** Any FAILED stream makes the health DOWN. */
    DOWN,
    /** FAILED streams are reported in the details only. */
    IGNORE
  }

  /** {@code ws-manager.endpoint.*}. */
  public static class Endpoint {
    /**
     * Mounts /api/ws/metrics on the application's own (servlet) server: Prometheus text,
     * OpenMetrics and JSON on GET, health on HEAD.
     */
    private boolean enabled;

    /** The path to mount it at. */
    private String path = "/api/ws/metrics";

    /** When set, GET needs the header "Authorization: Bearer <token>". */
    private String token;

    /** Whether HEAD (the health probe) needs the token too. */
    private boolean headRequiresToken;

    public boolean isEnabled() {
      return enabled;
    }

    public void setEnabled(boolean enabled) {
      this.enabled = enabled;
    }

    public String getPath() {
      return path;
    }

    public void setPath(String path) {
      this.path = path;
    }

    public String getToken() {
      return token;
    }

    public void setToken(String token) {
      this.token = token;
    }

    public boolean isHeadRequiresToken() {
      return headRequiresToken;
    }

    public void setHeadRequiresToken(boolean headRequiresToken) {
      this.headRequiresToken = headRequiresToken;
    }
  }
}
