package dev.wsmanager.http;

import static java.nio.charset.StandardCharsets.ISO_8859_1;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.CapturedLog;
import io.prometheus.metrics.model.registry.Collector;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import io.prometheus.metrics.model.snapshots.GaugeSnapshot;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.PushbackInputStream;
import java.io.UncheckedIOException;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.Socket;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.assertj.core.api.Assertions;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * The endpoint on {@link MetricsServer} against slow, stalled, malformed and departing clients:
 * each a behaviour with a generous bound, never a timing figure (those are in bench/).
 */
class HostileClientsTest {
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final List<Socket> sockets = new ArrayList<>();
  private WsManager manager;
  private EndpointServer http;

  @BeforeEach
  void start() {
    manager = WsManager.builder().name("hostile").registry(registry).build();
  }

  @AfterEach
  void tearDown() {
    for (Socket s : sockets) {
      try {
        s.close();
      } catch (IOException e) {
        // closing anyway
      }
    }
    if (http != null) {
      http.close();
    }
    manager.close();
  }

  private EndpointServer serve(MetricsServer.Builder server) {
    http = new EndpointServer(server);
    return http;
  }

  private EndpointServer serve() {
    return serve(
        MetricsServer.builder(
            MetricsEndpoint.builder()
                .manager(manager)
                .registry(registry)
                .bearerToken("s3cret")
                .build()));
  }

  private Socket connect() throws IOException {
    Socket s = new Socket(InetAddress.getLoopbackAddress(), http.port());
    sockets.add(s);
    s.setSoTimeout(10_000);
    return s;
  }

  /** One response read off a keep-alive connection: status line, headers, body. */
  private static String readResponse(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("connection closed mid-response: " + head.toString(ISO_8859_1));
      }
      head.write(b);
      matched = (b == "\r\n\r\n".charAt(matched)) ? matched + 1 : (b == '\r' ? 1 : 0);
    }
    String headers = head.toString(ISO_8859_1);
    int length = 0;
    for (String line : headers.split("\r\n")) {
      if (line.regionMatches(true, 0, "Content-Length:", 0, 15)) {
        length = Integer.parseInt(line.substring(15).trim());
      }
    }
    return headers + new String(in.readNBytes(length), UTF_8);
  }

  @Test
  void fiveHundredSlowConnectionsDoNotDelayScrapesOrProbes() throws Exception {
    serve();
    for (int i = 0; i < 250; i++) {
      // A request line that never ends.
      connect().getOutputStream().write("GET /api/ws/metr".getBytes(ISO_8859_1));
      // A POST announcing a body that never comes.
      connect()
          .getOutputStream()
          .write(
              ("POST /api/ws/metrics HTTP/1.1\r\nHost: x\r\n" + "Content-Length: 1000000\r\n\r\n")
                  .getBytes(ISO_8859_1));
    }
    // Every slow connection reached the server before the scrapes start.
    Socket last = connect();
    last.getOutputStream()
        .write("HEAD /api/ws/metrics HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(ISO_8859_1));
    assertThat(readResponse(last.getInputStream())).startsWith("HTTP/1.1 200 ");

    for (int i = 0; i < 20; i++) {
      HttpResponse<byte[]> scrape =
          http.send(
              "GET",
              EndpointServer.PATH,
              java.net.http.HttpRequest.BodyPublishers.noBody(),
              Duration.ofSeconds(1),
              "Authorization",
              "Bearer s3cret");
      assertThat(scrape.statusCode()).as("scrape %d", i).isEqualTo(200);
      assertThat(new String(scrape.body(), UTF_8))
          .contains("ws_manager_active_connections{manager=\"hostile\"} 0.0");
      assertThat(
              http.send(
                      "HEAD",
                      EndpointServer.PATH,
                      java.net.http.HttpRequest.BodyPublishers.noBody(),
                      Duration.ofSeconds(1))
                  .statusCode())
          .isEqualTo(200);
    }
  }

  /**
   * With headers and body in two writes and TCP_NODELAY off, the body of each response waits for
   * the client's delayed ACK of the headers (40 ms or more). The server sends each response in one
   * write, so Nagle has nothing to hold back: once the first byte of a response is readable, all of
   * it is. Checked byte for byte rather than timed, so that a busy machine cannot fail it.
   */
  @Test
  void keepAliveRequestsOnOneConnectionAreNotHeldBackByNagle() throws IOException {
    serve();
    Socket s = connect();
    OutputStream out = s.getOutputStream();
    InputStream in = s.getInputStream();
    byte[] request =
        ("GET /api/ws/metrics HTTP/1.1\r\nHost: x\r\n" + "Authorization: Bearer s3cret\r\n\r\n")
            .getBytes(ISO_8859_1);
    int requests = 200;
    for (int i = 0; i < requests; i++) {
      out.write(request);
      PushbackInputStream response = new PushbackInputStream(in, 1);
      int first = response.read();
      assertThat(first).as("response %d", i).isNotNegative();
      int readable = response.available() + 1;
      response.unread(first);
      String text = readResponse(response);
      assertThat(text).startsWith("HTTP/1.1 200 ").contains("ws_manager_");
      assertThat(readable)
          .as("bytes of response %d readable with its first byte (of %d)", i, text.length())
          .isEqualTo(text.getBytes(UTF_8).length);
    }
  }

  @Test
  void malformedValuesNeverYieldA500OrAStackTrace() throws IOException {
    MetricsEndpoint endpoint =
        MetricsEndpoint.builder().manager(manager).registry(registry).build();
    serve(MetricsServer.builder(endpoint));
    Random random = new Random(20261130L);
    String alphabet = ";,=q*/ \t\"\\%&[]{}()<>@:?#+-._~0123456789aejnopstvx\u00e9\u20ac";
    List<String> seeds =
        List.of(
            ";",
            ";;;;",
            "application/json,;;",
            ",",
            ";q=",
            "*/*;q=abc",
            "text/plain;q=1e999",
            "application/json;q=-0",
            "q=0.5",
            ";;q=1,,",
            "/",
            "*",
            "a/b/c",
            "application/openmetrics-text;escaping=",
            "application/openmetrics-text;escaping=;;",
            "application/openmetrics-text; escaping=allow-utf-8",
            "text/plain;version=0.0.4;q=0.5;",
            "\u0000",
            "\u00ff\u00fe",
            "application/json;" + "q=1;".repeat(500));
    List<String> queries =
        List.of(
            "format",
            "format=",
            "=",
            "&&&",
            "%",
            "%%",
            "%zz",
            "%e2%82",
            "format=json&limit=",
            "format=json&limit=-1",
            "format=json&limit=99999999999",
            "format=json&offset=abc",
            "format=json&streams=maybe",
            "name[]=",
            "name[]=%00",
            "name%5B%5D=ws_manager_streams",
            "debug=text",
            "debug=openmetrics",
            "format=JSON&format=",
            "a=b=c",
            "format=json&limit=1&offset=2147483647",
            "+",
            "format=%20json");
    List<String> acceptValues = new ArrayList<>(seeds);
    for (int i = 0; i < 1000; i++) {
      StringBuilder value = new StringBuilder();
      int length = random.nextInt(24);
      for (int j = 0; j < length; j++) {
        value.append(alphabet.charAt(random.nextInt(alphabet.length())));
      }
      acceptValues.add(value.toString());
    }
    try (CapturedLog log = new CapturedLog()) {
      for (String accept : acceptValues) {
        for (String query : List.of("", "format=json", "format=prometheus")) {
          int status =
              endpoint
                  .handle(
                      "GET",
                      query,
                      Map.of("Accept", List.of(accept), "Accept-Encoding", List.of(accept))::get)
                  .status();
          assertThat(status).as("Accept: %s ?%s", accept, query).isIn(200, 400);
        }
        assertThat(endpoint.handle("GET", accept, null, null).status())
            .as("query %s", accept)
            .isIn(200, 400, 414);
      }
      for (String query : queries) {
        assertThat(endpoint.handle("GET", query, "application/json", null).status())
            .as("query %s", query)
            .isIn(200, 400);
      }
      // The same over HTTP, written raw so that no client tidies the values up.
      for (String accept : acceptValues.subList(0, 200)) {
        String response =
            http.raw(
                "GET /api/ws/metrics HTTP/1.1\r\nHost: x\r\nAccept: "
                    + accept.replace("\r", "").replace("\n", "")
                    + "\r\nConnection: close\r\n\r\n");
        assertThat(response).as("Accept: %s", accept).matches("(?s)HTTP/1\\.1 (200|400|431) .*");
      }
      for (String query : queries) {
        String response =
            http.raw(
                "GET /api/ws/metrics?"
                    + query
                    + " HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
        assertThat(response).as("query %s", query).matches("(?s)HTTP/1\\.1 (200|400) .*");
      }
      assertThat(log.text())
          .doesNotContain("Exception")
          .doesNotContain("\tat ")
          .doesNotContain("ERROR");
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "NONSENSE\r\n\r\n",
        "GET /api/ws/metrics HTTP/9.9\r\nHost: x\r\n\r\n",
        "GET /api/ws/metrics HTTP/1.1\r\n\r\n",
        "GET api/ws/metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/ws/metrics?a=%zz%% HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/ws/%2e%2e/metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/ws/metrics HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n",
        "GET /api/ws/metrics HTTP/1.1\r\nHost: x\r\nAccept: a\u0001b\r\n\r\n",
        "GET /api/ws/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\n\r\n",
        "GET /api/ws/metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n",
        "GET /api/ws/metrics HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: bogus\r\n\r\n",
        "GET http://[bad/api/ws/metrics HTTP/1.1\r\nHost: x\r\n\r\n",
        "GET /api/ws/metrics\u0000 HTTP/1.1\r\nHost: x\r\n\r\n",
        " GET /api/ws/metrics HTTP/1.1\r\nHost: x\r\n\r\n",
      })
  void badRequestsGetOneLineOfTextNeverHtml(String request) throws IOException {
    serve();
    try (CapturedLog log = new CapturedLog()) {
      Socket s = connect();
      s.getOutputStream().write(request.getBytes(UTF_8));
      String response = readResponse(s.getInputStream());

      assertThat(response).matches("(?s)HTTP/1\\.1 (4\\d\\d|505) .*");
      assertThat(response.toLowerCase())
          .doesNotContain("<html")
          .doesNotContain("exception")
          .doesNotContain("java")
          .doesNotContain("jetty");
      String body = response.substring(response.indexOf("\r\n\r\n") + 4);
      assertThat(body).matches("[^\n]*\n").doesNotContain("s3cret");
      assertThat(log.text()).doesNotContain("\tat ");
    }
  }

  @Test
  void aOneMebibyteQueryIsA414() throws IOException {
    serve();
    Socket s = connect();
    OutputStream out = s.getOutputStream();
    CompletableFuture<Void> writing =
        CompletableFuture.runAsync(
            () -> {
              try {
                out.write(
                    ("GET /api/ws/metrics?pad="
                            + "a".repeat(1 << 20)
                            + " HTTP/1.1\r\nHost: x\r\n\r\n")
                        .getBytes(ISO_8859_1));
              } catch (IOException e) {
                // the server may stop reading once it has answered
              }
            });
    String response = readResponse(s.getInputStream());
    s.close();
    writing.join();

    assertThat(response)
        .startsWith("HTTP/1.1 414 ")
        .contains("Content-Type: text/plain; charset=utf-8")
        .endsWith(
            "\r\n\r\nrequest URI too long; the query string may have at most 2048"
                + " characters\n");
  }

  @Test
  void theTokenIsComparedExactly() {
    MetricsEndpoint endpoint =
        MetricsEndpoint.builder().manager(manager).registry(registry).bearerToken("s3cret").build();

    assertThat(endpoint.handle("GET", null, null, "Bearer s3cret").status()).isEqualTo(200);
    assertThat(endpoint.handle("GET", null, null, "bearer   s3cret").status()).isEqualTo(200);
    for (String authorization :
        List.of(
            "Bearer \u0001s3cret",
            "Bearer s3cret\u0000",
            "Bearer s3cret\n",
            "Bearer \ts3cret",
            "Bearer s3cret\t",
            "Bearer s3cret ",
            "Bearer s3cret\u007f",
            "Bearer\ts3cret",
            "Bearer s3cre",
            "Bearer s3crett")) {
      assertThat(endpoint.handle("GET", null, null, authorization).status())
          .as("Authorization: %s", authorization.replace("\u0000", "\\0"))
          .isEqualTo(401);
    }
  }

  @Test
  void closeLetsRequestsInFlightFinishAndRefusesNewOnes() throws Exception {
    CountDownLatch collecting = new CountDownLatch(1);
    CountDownLatch release = new CountDownLatch(1);
    registry.register(
        (Collector)
            () -> {
              collecting.countDown();
              try {
                release.await(10, TimeUnit.SECONDS);
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return GaugeSnapshot.builder().name("slow_collector").build();
            });
    serve(
        MetricsServer.builder(MetricsEndpoint.builder().manager(manager).registry(registry).build())
            .stopTimeout(Duration.ofSeconds(10)));
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<HttpResponse<byte[]>> scrape = threads.submit(() -> http.get(null));
      Assertions.assertThat(collecting.await(10, TimeUnit.SECONDS)).isTrue();
      Future<?> closing = threads.submit(http::close);
      Await.until(
          "the server stops accepting",
          () -> {
            try {
              new Socket(InetAddress.getLoopbackAddress(), http.port()).close();
              return false;
            } catch (ConnectException e) {
              return true;
            } catch (IOException e) {
              throw new UncheckedIOException(e);
            }
          });
      assertThat(closing.isDone()).as("close() waits for the scrape in flight").isFalse();

      release.countDown();

      assertThat(scrape.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
      assertThat(new String(scrape.get().body(), UTF_8)).contains("ws_manager_streams");
      closing.get(10, TimeUnit.SECONDS);
    } finally {
      release.countDown();
      threads.shutdownNow();
    }
  }

  @Test
  void closeIsBoundedWhenARequestNeverFinishes() throws Exception {
    CountDownLatch collecting = new CountDownLatch(1);
    CountDownLatch never = new CountDownLatch(1);
    registry.register(
        (Collector)
            () -> {
              collecting.countDown();
              try {
                never.await();
              } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
              }
              return GaugeSnapshot.builder().name("stuck_collector").build();
            });
    serve(
        MetricsServer.builder(MetricsEndpoint.builder().manager(manager).registry(registry).build())
            .stopTimeout(Duration.ofMillis(200)));
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      threads.submit(() -> http.get(null));
      Assertions.assertThat(collecting.await(10, TimeUnit.SECONDS)).isTrue();

      Future<?> closing = threads.submit(http::close);

      closing.get(10, TimeUnit.SECONDS);
    } finally {
      never.countDown();
      threads.shutdownNow();
    }
  }
}
