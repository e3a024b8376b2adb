package dev.wsmanager.sample;

import dev.wsmanager.EventTime;
import dev.wsmanager.Heartbeat;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import dev.wsmanager.http.AdminEndpoint;
import dev.wsmanager.http.MetricsEndpoint;
import dev.wsmanager.http.MetricsServer;
import dev.wsmanager.sample.SampleConfig.ConfigException;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import java.io.IOException;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The running sample: a manager, its streams, the metrics endpoint on an HTTP server and, without
 * {@code WS_STREAMS}, the demo feed. {@link #close()} takes it all down in a few seconds.
 */
final class SampleApp implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(SampleApp.class);

  static final String METRICS_PATH = "/api/ws/metrics";
  static final List<String> DEMO_SYMBOLS =
      List.of("BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "DOGEUSDT");
  static final Duration CLOSE_TIMEOUT = Duration.ofSeconds(3);

  /** The demo streams' groups: a label on their series. */
  static final Map<String, String> DEMO_GROUPS =
      Map.of(
          "BTCUSDT",
          "majors",
          "ETHUSDT",
          "majors",
          "SOLUSDT",
          "alts",
          "XRPUSDT",
          "alts",
          "DOGEUSDT",
          "alts");

  /** The demo streams' heartbeat: the demo feed answers {"op":"ping"} with {"op":"pong",...}. */
  static final Heartbeat DEMO_HEARTBEAT =
      Heartbeat.builder()
          .message("{\"op\":\"ping\"}")
          .reply(text -> text.startsWith("{\"op\":\"pong\""))
          .interval(Duration.ofSeconds(5))
          .timeout(Duration.ofSeconds(2))
          .build();

  private final WsManager manager;
  private final MetricsServer http;
  private final DemoFeed feed;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SampleApp(WsManager manager, MetricsServer http, DemoFeed feed) {
    this.manager = manager;
    this.http = http;
    this.feed = feed;
  }

  /**
   * Starts everything the configuration asks for; on failure, stops what was started.
   *
   * @param config the configuration
   * @return the running app
   * @throws ConfigException if a value is only found wrong here, such as a reserved label name
   * @throws IOException if the HTTP port or the demo feed cannot be bound
   */
  static SampleApp start(SampleConfig config) throws IOException {
    PrometheusRegistry registry = new PrometheusRegistry();
    WsManager manager = newManager(config, registry);
    MetricsServer http = null;
    DemoFeed feed = null;
    try {
      MetricsEndpoint.Builder endpoint = MetricsEndpoint.builder().manager(manager);
      if (config.metricsToken() != null) {
        endpoint.bearerToken(config.metricsToken());
      }
      try {
        // The server's defaults: 30 s idle timeout, 1000 connections, 4 request threads, 5 s to
        // drain requests in flight on close.
        MetricsServer.Builder server =
            MetricsServer.builder(endpoint.build()).port(config.port()).path(METRICS_PATH);
        if (config.adminToken() != null) {
          server.admin(
              AdminEndpoint.builder().manager(manager).adminToken(config.adminToken()).build());
        }
        http = server.start();
      } catch (IOException e) {
        throw new IOException(
            "cannot listen on port "
                + config.port()
                + " ("
                + e.getMessage()
                + "); set PORT to a free port",
            e);
      }
      if (config.adminToken() != null) {
        log.info("admin routes on at {}: WS_ADMIN_TOKEN is set", AdminEndpoint.PATH_PREFIX);
      }
      JvmMetrics.builder().constLabels(constLabels(config)).register(registry);

      List<StreamSpec> specs;
      if (config.demo()) {
        feed = DemoFeed.start(config.demoChaos() ? DemoFeed.CHAOS_INTERVAL : Duration.ZERO);
        specs = demoSpecs(feed.url(), config.subscribeMessage());
      } else {
        specs = specs(config.streams(), config.subscribeMessage());
        if (config.demoChaos()) {
          log.warn("DEMO_CHAOS applies to the demo feed only; it is ignored with WS_STREAMS");
        }
      }
      for (StreamSpec spec : specs) {
        manager.open(spec);
      }
      SampleApp app = new SampleApp(manager, http, feed);
      log.info(
          "managing {} streams{}; metrics at http://localhost:{}{}",
          specs.size(),
          config.demo() ? " of the demo feed" : "",
          app.port(),
          METRICS_PATH);
      return app;
    } catch (IOException | RuntimeException | Error e) {
      new SampleApp(manager, http, feed).close();
      throw e;
    }
  }

  private static WsManager newManager(SampleConfig config, PrometheusRegistry registry) {
    WsManager.Builder builder =
        WsManager.builder()
            .name(config.managerName())
            .registry(registry)
            .closeTimeout(CLOSE_TIMEOUT)
            .jmx(true);
    config.labels().forEach(builder::constantLabel);
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      // the builder names the bad value: the manager's name or a constant label
      String variable =
          e.getMessage().startsWith("name ") ? "WS_MANAGER_NAME" : "WS_METRICS_LABELS";
      throw new ConfigException(variable + ": " + e.getMessage());
    } catch (IllegalStateException e) {
      // the MXBean's name is taken: another manager of this name runs in this JVM
      throw new ConfigException("WS_MANAGER_NAME: " + e.getMessage());
    }
  }

  private static Labels constLabels(SampleConfig config) {
    Labels labels = Labels.EMPTY;
    for (Map.Entry<String, String> e : config.labels().entrySet()) {
      labels = labels.add(e.getKey(), e.getValue());
    }
    return labels;
  }

  /**
   * Five demo streams, each subscribing to its own symbol unless a subscribe message is set, in two
   * groups, with heartbeats and the feed delay read from the ticks' {@code ts}.
   */
  static List<StreamSpec> demoSpecs(URI feed, String subscribeMessage) {
    List<StreamSpec> specs = new ArrayList<>();
    for (String symbol : DEMO_SYMBOLS) {
      String subscribe =
          subscribeMessage != null
              ? subscribeMessage
              : "{\"op\":\"subscribe\",\"symbol\":\"" + symbol + "\"}";
      specs.add(
          StreamSpec.builder(symbol.toLowerCase(Locale.ROOT), feed.toString())
              .subscribe(subscribe)
              .group(DEMO_GROUPS.get(symbol))
              .heartbeat(DEMO_HEARTBEAT)
              .eventTime(EventTime.jsonField("ts"))
              .build());
    }
    return specs;
  }

  /** One stream per URL, named after its host; repeated hosts get {@code #2}, {@code #3}... */
  static List<StreamSpec> specs(List<URI> urls, String subscribeMessage) {
    Map<String, Integer> seen = new HashMap<>();
    List<StreamSpec> specs = new ArrayList<>();
    for (URI url : urls) {
      int n = seen.merge(url.getHost(), 1, Integer::sum);
      String id = n == 1 ? url.getHost() : url.getHost() + "#" + n;
      StreamSpec.Builder spec = StreamSpec.builder(id, url.toString());
      if (subscribeMessage != null) {
        spec.subscribe(subscribeMessage);
      }
      specs.add(spec.build());
    }
    return specs;
  }

  /**
   * The port the metrics are served on.
   *
   * @return the bound port, useful with {@code PORT=0}
   */
  int port() {
    return http.port();
  }

  WsManager manager() {
    return manager;
  }

  /** The demo feed, or {@code null} with {@code WS_STREAMS}. */
  DemoFeed demoFeed() {
    return feed;
  }

  /**
   * Closes every stream with 1000, then stops the HTTP server (scrapes in flight finish; {@code
   * HEAD} answers 503 meanwhile) and the demo feed. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    log.info("shutting down");
    manager.close();
    if (http != null) {
      http.close();
    }
    if (feed != null) {
      if (!feed.awaitNoConnections(Duration.ofSeconds(1))) {
        log.warn("demo feed still has {} connections; closing them", feed.openConnections());
      }
      feed.close();
    }
    log.info("stopped");
  }
}
