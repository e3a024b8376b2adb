package dev.wsmanager.http;

import dev.wsmanager.http.MetricsEndpoint.Format;
import io.prometheus.metrics.config.PrometheusProperties;
import io.prometheus.metrics.exporter.common.PrometheusHttpExchange;
import io.prometheus.metrics.exporter.common.PrometheusHttpRequest;
import io.prometheus.metrics.exporter.common.PrometheusHttpResponse;
import io.prometheus.metrics.exporter.common.PrometheusScrapeHandler;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.util.Collections;
import java.util.Enumeration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The Prometheus text and OpenMetrics forms of {@code GET}, written by the Prometheus client's own
 * {@link PrometheusScrapeHandler}: {@code name[]} filters, gzip when {@code Accept-Encoding} lists
 * it, and the exporter settings of {@code prometheus.properties}. Only the API that is the same in
 * every prometheus-metrics version from 1.3 on is used.
 *
 * <p>The format is chosen before the handler sees the request (quality values, {@code ?format=}),
 * so the handler gets an {@code Accept} naming only that format, plus the client's {@code escaping}
 * parameter if it sent one.
 */
final class TextScrape {
  private static final Pattern ESCAPING = Pattern.compile("escaping=([A-Za-z0-9_-]{1,32})");
  private static final String PROMETHEUS_ACCEPT = "text/plain; version=0.0.4";
  private static final String OPENMETRICS_ACCEPT = "application/openmetrics-text; version=1.0.0";

  private final PrometheusScrapeHandler handler;
  private final String path;

  TextScrape(PrometheusRegistry registry, String path) {
    this.handler = new PrometheusScrapeHandler(PrometheusProperties.get(), registry);
    this.path = path;
  }

  /** What the handler answered; {@code headers} without {@code Content-Length}. */
  static final class Result {
    final int status;
    final Map<String, String> headers;
    final byte[] body;

    Result(int status, Map<String, String> headers, byte[] body) {
      this.status = status;
      this.headers = headers;
      this.body = body;
    }
  }

  Result scrape(Format format, String accept, List<String> names, List<String> acceptEncoding)
      throws IOException {
    Exchange exchange = new Exchange(acceptFor(format, accept), names, acceptEncoding);
    handler.handleRequest(exchange);
    if (exchange.status == 0) {
      throw new IOException("the scrape handler sent no response");
    }
    exchange.headers.keySet().removeIf(name -> name.equalsIgnoreCase("Content-Length"));
    return new Result(exchange.status, exchange.headers, exchange.body.toByteArray());
  }

  static String acceptFor(Format format, String accept) {
    String base = format == Format.OPENMETRICS ? OPENMETRICS_ACCEPT : PROMETHEUS_ACCEPT;
    if (accept != null) {
      Matcher m = ESCAPING.matcher(accept);
      if (m.find()) {
        return base + "; escaping=" + m.group(1);
      }
    }
    return base;
  }

  private final class Exchange
      implements PrometheusHttpExchange, PrometheusHttpRequest, PrometheusHttpResponse {
    private final String accept;
    private final List<String> names;
    private final List<String> acceptEncoding;
    private final Map<String, String> headers = new LinkedHashMap<>();
    private final ByteArrayOutputStream body = new ByteArrayOutputStream(16 * 1024);
    private int status;

    Exchange(String accept, List<String> names, List<String> acceptEncoding) {
      this.accept = accept;
      this.names = names;
      this.acceptEncoding = acceptEncoding;
    }

    @Override
    public PrometheusHttpRequest getRequest() {
      return this;
    }

    @Override
    public PrometheusHttpResponse getResponse() {
      return this;
    }

    @Override
    public void handleException(IOException e) throws IOException {
      throw e;
    }

    @Override
    public void handleException(RuntimeException e) {
      throw e;
    }

    @Override
    public void close() {}

    // The request: the query was parsed already; only name[] reaches the handler.

    @Override
    public String getQueryString() {
      return null;
    }

    @Override
    public String[] getParameterValues(String name) {
      return name.equals("name[]") && !names.isEmpty() ? names.toArray(new String[0]) : null;
    }

    @Override
    public Enumeration<String> getHeaders(String name) {
      if (name.equalsIgnoreCase("Accept")) {
        return Collections.enumeration(List.of(accept));
      }
      if (name.equalsIgnoreCase("Accept-Encoding")) {
        return Collections.enumeration(acceptEncoding);
      }
      return Collections.emptyEnumeration();
    }

    @Override
    public String getMethod() {
      return "GET";
    }

    @Override
    public String getRequestPath() {
      return path;
    }

    // The response, kept in memory.

    @Override
    public void setHeader(String name, String value) {
      headers.put(name, value);
    }

    @Override
    public OutputStream sendHeadersAndGetBody(int statusCode, int contentLength) {
      status = statusCode;
      return body;
    }
  }
}
