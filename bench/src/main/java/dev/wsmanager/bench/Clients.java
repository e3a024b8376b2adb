package dev.wsmanager.bench;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;

/** The two sides of every comparison: N raw OkHttp WebSockets, or N streams of one manager. */
final class Clients {
  private Clients() {}

  private static final AtomicInteger MANAGERS = new AtomicInteger();

  /** A raw listener that only counts messages (the reader thread is the only writer). */
  static class CountingListener extends WebSocketListener {
    private static final VarHandle COUNT;

    static {
      try {
        COUNT = MethodHandles.lookup().findVarHandle(CountingListener.class, "count", long.class);
      } catch (ReflectiveOperationException e) {
        throw new ExceptionInInitializerError(e);
      }
    }

    private long count;
    final AtomicInteger opened;

    CountingListener(AtomicInteger opened) {
      this.opened = opened;
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      opened.incrementAndGet();
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      COUNT.setOpaque(this, count + 1);
    }

    long count() {
      return (long) COUNT.getOpaque(this);
    }
  }

  /** N raw WebSockets on one client. */
  static final class Raw implements AutoCloseable {
    final OkHttpClient client;
    final List<WebSocket> sockets = new ArrayList<>();
    final List<CountingListener> listeners = new ArrayList<>();
    final AtomicInteger opened = new AtomicInteger();

    Raw(OkHttpClient client) {
      this.client = client;
    }

    WebSocket open(String url, CountingListener listener) {
      WebSocket ws = client.newWebSocket(new Request.Builder().url(url).build(), listener);
      sockets.add(ws);
      listeners.add(listener);
      return ws;
    }

    void openCounting(Support.Server server, int n) {
      for (int i = 0; i < n; i++) {
        open(server.url(i), new CountingListener(opened));
      }
      if (!Support.await(() -> opened.get() == n, 60_000)) {
        throw new IllegalStateException("raw: only " + opened.get() + " of " + n + " opened");
      }
    }

    long received() {
      long sum = 0;
      for (CountingListener l : listeners) {
        sum += l.count();
      }
      return sum;
    }

    @Override
    public void close() {
      for (WebSocket ws : sockets) {
        ws.cancel();
      }
      Support.shutdown(client);
    }
  }

  /** A manager of its own with a registry of its own, built for the benchmarks. */
  static WsManager.Builder manager(String what) {
    return WsManager.builder()
        .name(what + "-" + MANAGERS.incrementAndGet())
        .registry(new PrometheusRegistry())
        .maxConnectsPerSecond(5_000, 500);
  }

  static StreamSpec.Builder spec(String id, String url) {
    return StreamSpec.builder(id, url).pingInterval(Duration.ZERO);
  }

  static List<ManagedStream> openAll(WsManager manager, Support.Server server, int n) {
    List<ManagedStream> streams = new ArrayList<>(n);
    for (int i = 0; i < n; i++) {
      streams.add(manager.open(spec("s" + i, server.url(i)).build()));
    }
    if (!Support.await(() -> manager.stats().activeConnections() == n, 120_000)) {
      throw new IllegalStateException(
          "manager: only " + manager.stats().activeConnections() + " of " + n + " opened");
    }
    return streams;
  }

  static boolean allOpen(List<ManagedStream> streams) {
    for (ManagedStream s : streams) {
      if (s.state() != StreamState.OPEN) {
        return false;
      }
    }
    return true;
  }
}
