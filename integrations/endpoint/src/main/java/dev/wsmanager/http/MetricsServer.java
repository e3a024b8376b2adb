package dev.wsmanager.http;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicBoolean;
import org.eclipse.jetty.http.HttpFields;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpURI;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.NetworkConnectionLimit;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.GracefulHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Serves a {@link MetricsEndpoint} on its own port, for applications without an HTTP server of
 * their own. Built on Jetty 12.1 ({@code org.eclipse.jetty:jetty-server}, which the application
 * adds: the endpoint artifact declares it optional, so that applications mounting the endpoint in
 * their own server do not get it).
 *
 * <p>Hardened for scrapers, probes and hostile clients alike: requests are read without holding a
 * thread, so slow or stalled clients cost a socket each, not a thread; idle connections are closed
 * after {@link Builder#idleTimeout}; at most {@link Builder#maxConnections} are open at once (past
 * that, new ones wait in the accept queue, which holds as many, and idle ones are closed after one
 * second of silence); request lines and headers are limited to 8 KiB (a longer URI is a 414, longer
 * headers a 431); responses go out in one write with {@code TCP_NODELAY}; every error is one line
 * of plain text. {@link #close()} stops accepting, lets requests in flight finish for up to {@link
 * Builder#stopTimeout}, then closes every connection.
 *
 * <pre>{@code
 * MetricsServer server = MetricsServer.builder(endpoint).port(3000).start();
 * // ...
 * server.close();
 * }</pre>
 */
public final class MetricsServer implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(MetricsServer.class);

  /** Request line and headers together; the JDK and most proxies allow about as much. */
  static final int MAX_REQUEST_HEADER_BYTES = 8 * 1024;

  private final Server server;
  private final ServerConnector connector;
  private final int port;
  private final AtomicBoolean closed = new AtomicBoolean();

  private MetricsServer(Server server, ServerConnector connector) {
    this.server = server;
    this.connector = connector;
    this.port = connector.getLocalPort();
  }

  /**
   * A builder for a server of {@code endpoint}.
   *
   * @param endpoint the endpoint to serve
   * @return a new builder
   */
  public static Builder builder(MetricsEndpoint endpoint) {
    return new Builder(endpoint);
  }

  /**
   * The port the server listens on.
   *
   * @return the bound port, useful after {@code port(0)}
   */
  public int port() {
    return port;
  }

  /**
   * The address the server listens on.
   *
   * @return the bound address and port
   */
  public InetSocketAddress address() {
    String host = connector.getHost();
    return host == null ? new InetSocketAddress(port()) : new InetSocketAddress(host, port());
  }

  /**
   * Stops accepting connections, waits for requests in flight (at most the stop timeout), then
   * closes every connection and stops the server's threads. Idempotent.
   */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("the metrics server did not stop cleanly", e);
    }
  }

  @Override
  public String toString() {
    return "MetricsServer{port=" + port() + '}';
  }

  /** Answers the endpoint's path; everything else is a 404. */
  private static final class EndpointHandler extends Handler.Abstract {
    private final MetricsEndpoint endpoint;
    private final String path;
    private final AdminEndpoint admin; // null: no admin routes

    EndpointHandler(MetricsEndpoint endpoint, String path, AdminEndpoint admin) {
      this.endpoint = endpoint;
      this.path = path;
      this.admin = admin;
    }

    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      HttpURI uri = request.getHttpURI();
      MetricsEndpoint.Response answer;
      if (admin != null && AdminEndpoint.handles(uri.getPath())) {
        answer =
            admin.handle(
                request.getMethod(),
                uri.getPath(),
                uri.getQuery(),
                request.getHeaders().get(HttpHeader.AUTHORIZATION),
                Request.getRemoteAddr(request) + ":" + Request.getRemotePort(request));
      } else if (!path.equals(uri.getPath())) {
        answer = MetricsEndpoint.Response.text(404, "not found");
      } else {
        HttpFields headers = request.getHeaders();
        answer = endpoint.handle(request.getMethod(), uri.getQuery(), headers::getValuesList);
      }
      boolean head = request.getMethod().equals("HEAD");
      answer = answer.withoutBodyIf(head);
      response.setStatus(answer.status());
      HttpFields.Mutable out = response.getHeaders();
      answer.headers().forEach(out::put);
      out.put(HttpHeader.CONTENT_LENGTH, answer.bodyLength());
      response.write(true, answer.bodyLength() == 0 ? null : answer.bodyBuffer(), callback);
      return true;
    }
  }

  /** Builds and starts a {@link MetricsServer}; every value has a default but the endpoint. */
  public static final class Builder {
    private final MetricsEndpoint endpoint;
    private String host;
    private int port = 3000;
    private String path = MetricsEndpoint.PATH;
    private Duration idleTimeout = Duration.ofSeconds(30);
    private int maxConnections = 1000;
    private int threads = 4;
    private Duration stopTimeout = Duration.ofSeconds(5);
    private AdminEndpoint admin;

    private Builder(MetricsEndpoint endpoint) {
      this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
    }

    /**
     * The interface to listen on. Default: every interface.
     *
     * @param host a host name or address, such as {@code 127.0.0.1}
     * @return this builder
     */
    public Builder host(String host) {
      this.host = Objects.requireNonNull(host, "host");
      return this;
    }

    /**
     * The port to listen on; 0 picks a free one. Default 3000.
     *
     * @param port 0 to 65535
     * @return this builder
     * @throws IllegalArgumentException if out of range
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("port must be from 0 to 65535; got " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * The path the endpoint answers; any other path is a 404. Default {@code /api/ws/metrics}.
     *
     * @param path an absolute path, such as {@code /api/ws/metrics}
     * @return this builder
     * @throws IllegalArgumentException if it does not start with {@code /}
     */
    public Builder path(String path) {
      if (!Objects.requireNonNull(path, "path").startsWith("/")) {
        throw new IllegalArgumentException("path must start with /; got '" + path + "'");
      }
      this.path = path;
      return this;
    }

    /**
     * How long a connection may stay silent, whether between requests (keep-alive) or in the middle
     * of one (a request line or headers that stop arriving), before it is closed. Default 30 s,
     * comfortably above Prometheus' usual 15 s scrape interval so that its connections are reused.
     *
     * @param timeout at least 1 ms
     * @return this builder
     * @throws IllegalArgumentException if zero or negative
     */
    public Builder idleTimeout(Duration timeout) {
      this.idleTimeout = positive("idleTimeout", timeout);
      return this;
    }

    /**
     * How many connections may be open at once. Past that, new connections wait in the kernel's
     * accept queue, and connections that stay silent for a second are closed to make room. Default
     * 1000.
     *
     * @param max at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder maxConnections(int max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxConnections must be at least 1; got " + max);
      }
      this.maxConnections = max;
      return this;
    }

    /**
     * How many requests are answered at once, each on its own thread; complete requests beyond that
     * wait for a thread (at most one per connection). Reading requests takes no thread. Default 4.
     *
     * @param threads at least 1
     * @return this builder
     * @throws IllegalArgumentException if below 1
     */
    public Builder threads(int threads) {
      if (threads < 1) {
        throw new IllegalArgumentException("threads must be at least 1; got " + threads);
      }
      this.threads = threads;
      return this;
    }

    /**
     * How long {@link MetricsServer#close()} waits for requests in flight. Default 5 s.
     *
     * @param timeout zero or more; zero closes connections at once
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder stopTimeout(Duration timeout) {
      if (Objects.requireNonNull(timeout, "timeout").isNegative()) {
        throw new IllegalArgumentException("stopTimeout must not be negative; got " + timeout);
      }
      this.stopTimeout = timeout;
      return this;
    }

    /**
     * Also serves the admin routes ({@code POST /api/ws/streams/...}, see {@link AdminEndpoint}),
     * which need their own admin token. Without this they do not exist: those paths are a 404.
     *
     * @param admin the admin routes
     * @return this builder
     */
    public Builder admin(AdminEndpoint admin) {
      this.admin = Objects.requireNonNull(admin, "admin");
      return this;
    }

    /**
     * Binds the port and starts serving.
     *
     * @return the running server
     * @throws IOException if the port cannot be bound; the message names host and port
     */
    public MetricsServer start() throws IOException {
      // Threads: one acceptor and one selector are leased from the pool, the rest answer requests.
      // The queue needs no bound of its own: a connection has at most one request waiting, and
      // connections are limited.
      QueuedThreadPool pool = new QueuedThreadPool(threads + 2, Math.min(threads + 2, 3));
      pool.setName("metrics-http");
      Server server = new Server(pool);

      HttpConfiguration http = new HttpConfiguration();
      http.setSendServerVersion(false);
      http.setSendXPoweredBy(false);
      http.setRequestHeaderSize(MAX_REQUEST_HEADER_BYTES);
      ServerConnector connector =
          new ServerConnector(server, 1, 1, new HttpConnectionFactory(http));
      connector.setHost(host);
      connector.setPort(port);
      connector.setIdleTimeout(idleTimeout.toMillis());
      connector.setAcceptedTcpNoDelay(true);
      // A burst as large as the connection limit waits in the kernel's queue (capped there by
      // net.core.somaxconn) instead of having its SYNs dropped: the JDK's default backlog is 50.
      connector.setAcceptQueueSize(maxConnections);
      // On close, connections idle between requests go at once; those mid-request finish first.
      connector.setShutdownIdleTimeout(100);
      server.addConnector(connector);

      NetworkConnectionLimit limit = new NetworkConnectionLimit(maxConnections, connector);
      limit.setEndPointIdleTimeout(Math.min(1000, idleTimeout.toMillis()));
      server.addBean(limit);

      server.setHandler(new GracefulHandler(new EndpointHandler(endpoint, path, admin)));
      server.setErrorHandler(new OneLineErrors());
      server.setStopTimeout(stopTimeout.toMillis());
      server.setStopAtShutdown(false);
      try {
        server.start();
      } catch (Exception e) {
        try {
          server.stop();
        } catch (Exception suppressed) {
          e.addSuppressed(suppressed);
        }
        throw new IOException(
            "cannot listen on "
                + (host == null ? "*" : host)
                + ":"
                + port
                + " ("
                + e.getMessage()
                + ")",
            e);
      }
      return new MetricsServer(server, connector);
    }

    private static Duration positive(String name, Duration value) {
      Objects.requireNonNull(value, name);
      if (value.isZero() || value.isNegative()) {
        throw new IllegalArgumentException(name + " must be positive; got " + value);
      }
      return value;
    }
  }
}
