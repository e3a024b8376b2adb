package dev.wsmanager.example;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.springframework.boot.SpringApplication;
import org.springframework.boot.context.properties.source.InvalidConfigurationPropertyValueException;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.SmartLifecycle;
import org.springframework.context.support.GenericApplicationContext;

/**
 * Real starts of the example: its stream to its own demo feed opens on the first attempt; a bad
 * property value stops startup with the library's message and the property's name; the wsManager
 * health follows the FAILED-streams policy.
 */
class ExampleStartupTest {
  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private static ConfigurableApplicationContext run(String... args) {
    String[] all = new String[args.length + 1];
    all[0] = "--server.port=0";
    System.arraycopy(args, 0, all, 1, args.length);
    return SpringApplication.run(ExampleApplication.class, all);
  }

  private static InvalidConfigurationPropertyValueException invalid(Throwable t) {
    for (Throwable c = t; c != null; c = c.getCause()) {
      if (c instanceof InvalidConfigurationPropertyValueException) {
        return (InvalidConfigurationPropertyValueException) c;
      }
    }
    throw new AssertionError("no InvalidConfigurationPropertyValueException in", t);
  }

  @ParameterizedTest(name = "{0}={1}")
  @CsvSource(
      delimiter = '|',
      value = {
        "ws-manager.streams[0].connect-timeout | -1s | connectTimeout must be from 1ms to 10min, was PT-1S",
        "ws-manager.streams[0].ping-interval | -5s | pingInterval must be 0 (off) or from 1ms to 1h",
        "ws-manager.streams[0].url | http://example.com/feed | url must start with ws:// or wss://",
        "ws-manager.reconnect.jitter | 1.5 | jitter must be within [0, 1], was 1.5",
        "ws-manager.reconnect.max-attempts | 0 | maxAttempts must be at least 1, was 0",
        "ws-manager.name | has space | name must be 1 to 64 letters",
      })
  void aBadValueStopsStartupNamingTheProperty(String property, String value, String message) {
    // A list from a higher-priority source replaces the one in application.yml whole: give the
    // whole stream, then override the one value.
    assertThatThrownBy(
            () ->
                run("--ws-manager.streams[0].id=bad",
                        property.endsWith(".url") ? "--x=" : "--ws-manager.streams[0].url=ws://127.0.0.1:9/feed",
                        "--" + property + "=" + value)
                    .close())
        .satisfies(
            t -> {
              InvalidConfigurationPropertyValueException e = invalid(t);
              assertThat(e.getName()).isEqualTo(property);
              assertThat(e.getReason()).contains(message);
            });
  }

  private static int healthStatus(ConfigurableApplicationContext app) throws Exception {
    String port = app.getEnvironment().getProperty("local.server.port");
    HttpRequest r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/health")).build();
    return HTTP.send(r, HttpResponse.BodyHandlers.discarding()).statusCode();
  }

  private static int awaitHealth(ConfigurableApplicationContext app, int wanted) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
    int status;
    while ((status = healthStatus(app)) != wanted && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(50));
    }
    return status;
  }

  /**
   * A lifecycle bean of the application's own in the default phase, as Spring's WebSocket handler
   * mapping (which serves the demo feed) and message brokers are: notes how many streams the
   * manager had when it started.
   */
  static final class OwnLifecycle implements SmartLifecycle {
    private final ConfigurableApplicationContext context;
    private volatile long streamsAtStart = -1;
    private volatile boolean running;

    OwnLifecycle(ConfigurableApplicationContext context) {
      this.context = context;
    }

    @Override
    public void start() {
      streamsAtStart =
          context.getBean(dev.wsmanager.WsManager.class).stats().streamsByState().values().stream()
              .mapToLong(Long::longValue)
              .sum();
      running = true;
    }

    @Override
    public void stop() {
      running = false;
    }

    @Override
    public boolean isRunning() {
      return running;
    }
  }

  @Test
  void streamsOpenOnlyOnceTheApplicationsOwnLifecycleBeansHaveStarted() {
    SpringApplication application = new SpringApplication(ExampleApplication.class);
    application.addInitializers(
        context ->
            ((GenericApplicationContext) context)
                .registerBean(OwnLifecycle.class, () -> new OwnLifecycle(context)));
    try (ConfigurableApplicationContext app =
        application.run("--server.port=0", "--example.feed-url=ws://127.0.0.1:9/feed")) {
      assertThat(app.getBean(OwnLifecycle.class).streamsAtStart)
          .as("streams open when the application's own default-phase beans start")
          .isZero();
      assertThat(app.getBean(dev.wsmanager.WsManager.class).stream("demo-ticks"))
          .as("the configured stream, once started")
          .isPresent();
    }
  }

  /**
   * As the example runs from the README: the stream goes to the demo feed this application serves
   * itself, so it must not connect before the application's web server and WebSocket handlers are
   * up. One attempt, no retry.
   */
  @Test
  void theStreamToTheOwnDemoFeedOpensOnTheFirstAttempt() throws Exception {
    // The feed URL is built from server.port, so the port must be known before startup: take a
    // free one from the system.
    int port;
    try (ServerSocket probe = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    try (ConfigurableApplicationContext app =
        SpringApplication.run(ExampleApplication.class, "--server.port=" + port)) {
      dev.wsmanager.WsManager manager = app.getBean(dev.wsmanager.WsManager.class);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (manager.stats().streamsByState().get(dev.wsmanager.StreamState.OPEN) != 1L) {
        assertThat(System.nanoTime() - deadline).as("stream OPEN in time").isNegative();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      HttpRequest scrape =
          HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/actuator/prometheus"))
              .build();
      String metrics = HTTP.send(scrape, HttpResponse.BodyHandlers.ofString()).body();
      assertThat(metrics)
          .contains("ws_manager_connection_attempts_total{manager=\"example\"} 1.0")
          .contains("ws_manager_retry_count_total{manager=\"example\"} 0.0");
    }
  }

  @Test
  void aFailedStreamTakesHealthDownUnderTheDefaultPolicy() throws Exception {
    try (Peer peer = new Peer();
        ConfigurableApplicationContext app = run("--example.feed-url=" + peer.url("/reject"))) {
      assertThat(awaitHealth(app, 503)).as("health with a FAILED stream").isEqualTo(503);
    }
  }

  @Test
  void theIgnorePolicyKeepsHealthUpWithAFailedStream() throws Exception {
    try (Peer peer = new Peer();
        ConfigurableApplicationContext app =
            run(
                "--example.feed-url=" + peer.url("/reject"),
                "--ws-manager.health.failed-streams=ignore")) {
      dev.wsmanager.WsManager manager = app.getBean(dev.wsmanager.WsManager.class);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (manager.stats().streamsByState().get(dev.wsmanager.StreamState.FAILED) != 1L) {
        assertThat(System.nanoTime() - deadline).as("stream FAILED in time").isNegative();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }
      assertThat(healthStatus(app)).isEqualTo(200);
      manager.close();
      assertThat(healthStatus(app)).as("health once the manager is closed").isEqualTo(503);
    }
  }
}
