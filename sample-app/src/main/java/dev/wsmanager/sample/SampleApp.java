package dev.wsmanager.sample;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.wsmanager.EventTime;
import dev.wsmanager.Heartbeat;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import dev.wsmanager.http.AdminEndpoint;
import dev.wsmanager.http.MetricsEndpoint;
import dev.wsmanager.http.MetricsHttpHandler;
import dev.wsmanager.sample.SampleConfig.ConfigException;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.Labels;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
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
      Map.of("BTCUSDT", "majors", "ETHUSDT", "majors", "SOLUSDT", "alts", "XRPUSDT", "alts",
          "DOGEUSDT", "alts");
  /** The demo streams' heartbeat: the demo feed answers {"op":"ping"} with {"op":"pong",...}. */
  static final Heartbeat DEMO_HEARTBEAT =
      Heartbeat.builder()
          .message("{\"op\":\"ping\"}")
          .reply(text -> text.startsWith("{\"op\":\"pong\""))
          .interval(Duration.ofSeconds(5))
          .timeout(Duration.ofSeconds(2))
          .build();

  private final WsManager manager;
  private final HttpServer http;
  private final ThreadPoolExecutor httpThreads;
  private final DemoFeed feed;
  private final AtomicBoolean closed = new AtomicBoolean();

  private SampleApp(WsManager manager, HttpServer http, ThreadPoolExecutor httpThreads,
      DemoFeed feed) {
    this.manager = manager;
    this.http = http;
    this.httpThreads = httpThreads;
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
    HttpServer http = null;
    ThreadPoolExecutor httpThreads = null;
    DemoFeed feed = null;
    try {
      MetricsEndpoint.Builder endpoint = MetricsEndpoint.builder().manager(manager);
      if (config.metricsToken() != null) {
        endpoint.bearerToken(config.metricsToken());
      }
      httpThreads = boundedExecutor();
      try {
        http = HttpServer.create(new InetSocketAddress(config.port()), 64);
      } catch (IOException e) {
        throw new IOException("cannot listen on port " + config.port() + " (" + e.getMessage()
            + "); set PORT to a free port", e);
      }
      http.createContext(METRICS_PATH, new MetricsHttpHandler(endpoint.build()));
      if (config.adminToken() != null) {
        AdminEndpoint admin =
            AdminEndpoint.builder().manager(manager).adminToken(config.adminToken()).build();
        http.createContext(AdminEndpoint.PATH_PREFIX, exchange -> serveAdmin(admin, exchange));
        log.info("admin routes on at {}: WS_ADMIN_TOKEN is set", AdminEndpoint.PATH_PREFIX);
      }
      http.setExecutor(httpThreads);
      http.start();
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
      SampleApp app = new SampleApp(manager, http, httpThreads, feed);
      log.info("managing {} streams{}; metrics at http://localhost:{}{}", specs.size(),
          config.demo() ? " of the demo feed" : "", app.port(), METRICS_PATH);
      return app;
    } catch (IOException | RuntimeException | Error e) {
      new SampleApp(manager, http, httpThreads, feed).close();
      throw e;
    }
  }

  /** Answers an admin route on the JDK server: the request's parts in, the response out. */
  private static void serveAdmin(AdminEndpoint admin, HttpExchange exchange) throws IOException {
    try (exchange) {
      MetricsEndpoint.Response r =
          admin.handle(
              exchange.getRequestMethod(),
              exchange.getRequestURI().getRawPath(),
              exchange.getRequestURI().getRawQuery(),
              exchange.getRequestHeaders().getFirst("Authorization"),
              String.valueOf(exchange.getRemoteAddress()));
      r.headers().forEach(exchange.getResponseHeaders()::set);
      exchange.sendResponseHeaders(r.status(), r.bodyLength() == 0 ? -1 : r.bodyLength());
      if (r.bodyLength() > 0) {
        try (OutputStream body = exchange.getResponseBody()) {
          r.writeBody(body);
        }
      }
    }
  }

  private static WsManager newManager(SampleConfig config, PrometheusRegistry registry) {
    WsManager.Builder builder =
        WsManager.builder().name(config.managerName()).registry(registry)
            .closeTimeout(CLOSE_TIMEOUT).jmx(true);
    config.labels().forEach(builder::constantLabel);
    try {
      return builder.build();
    } catch (IllegalArgumentException e) {
      throw new ConfigException("WS_METRICS_LABELS: " + e.getMessage());
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
   * Five demo streams, each subscribing to its own symbol unless a subscribe message is set, in
   * two groups, with heartbeats and the feed delay read from the ticks' {@code ts}.
   */
  static List<StreamSpec> demoSpecs(URI feed, String subscribeMessage) {
    List<StreamSpec> specs = new ArrayList<>();
    for (String symbol : DEMO_SYMBOLS) {
      String subscribe = subscribeMessage != null
          ? subscribeMessage
          : "{\"op\":\"subscribe\",\"symbol\":\"" + symbol + "\"}";
      specs.add(StreamSpec.builder(symbol.toLowerCase(Locale.ROOT), feed.toString())
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

  /** At most 4 threads and 64 queued requests; past that the accepting thread serves. */
  private static ThreadPoolExecutor boundedExecutor() {
    AtomicInteger n = new AtomicInteger();
    ThreadPoolExecutor executor =
        new ThreadPoolExecutor(
            4,
            4,
            30,
            TimeUnit.SECONDS,
            new ArrayBlockingQueue<>(64),
            r -> {
              Thread t = new Thread(r, "metrics-http-" + n.incrementAndGet());
              t.setDaemon(true);
              return t;
            },
            new ThreadPoolExecutor.CallerRunsPolicy());
    executor.allowCoreThreadTimeOut(true);
    return executor;
  }

  /**
   * The port the metrics are served on.
   *
   * @return the bound port, useful with {@code PORT=0}
   */
  int port() {
    return http.getAddress().getPort();
  }

  WsManager manager() {
    return manager;
  }

  /** The demo feed, or {@code null} with {@code WS_STREAMS}. */
  DemoFeed demoFeed() {
    return feed;
  }

  /**
   * Closes every stream with 1000, then stops the HTTP server and the demo feed. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    log.info("shutting down");
    manager.close();
    if (http != null) {
      http.stop(0);
    }
    if (httpThreads != null) {
      httpThreads.shutdown();
      try {
        httpThreads.awaitTermination(1, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
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
