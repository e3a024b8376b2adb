package dev.wsmanager.internal;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.metrics.MetricNames;
import io.prometheus.metrics.model.snapshots.Labels;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import okhttp3.WebSocket;
import okio.ByteString;

/**
 * The stream as its user and the metrics see it: what it is, what it has counted, and sending on
 * its current socket. Every decision is its {@link StreamLoop}'s; nothing here takes the loop's
 * lock except a {@link #snapshot()}.
 */
final class StreamHandle implements ManagedStream, ManagerMetrics.StreamCounters {
  private final StreamLoop loop;
  private final StreamSpec spec;
  final Sender sender;
  final ConnectionHistory connections;
  private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();
  private volatile StreamLabels streamLabels;

  StreamHandle(StreamLoop loop, StreamSpec spec, Sender sender, ConnectionHistory connections) {
    this.loop = loop;
    this.spec = spec;
    this.sender = sender;
    this.connections = connections;
  }

  @Override
  public String id() {
    return spec.id();
  }

  @Override
  public StreamState state() {
    return loop.state();
  }

  @Override
  public boolean send(String text) {
    Objects.requireNonNull(text, "send(text): text must not be null");
    return sender.send(openSocket(), text);
  }

  @Override
  public boolean send(ByteString bytes) {
    Objects.requireNonNull(bytes, "send(bytes): bytes must not be null");
    return sender.send(openSocket(), bytes);
  }

  /** The socket to send on, or null when the stream is not open. */
  private WebSocket openSocket() {
    Connection c = connections.current();
    return c == null || loop.state() != StreamState.OPEN ? null : c.ws;
  }

  @Override
  public long queuedBytes() {
    Connection c = connections.current();
    WebSocket ws = c == null ? null : c.ws;
    return ws == null ? 0 : ws.queueSize();
  }

  @Override
  public StreamSnapshot snapshot() {
    return loop.snapshot();
  }

  @Override
  public void close() {
    loop.close();
  }

  @Override
  public CompletionStage<Void> closeAsync() {
    loop.close();
    return closedFuture.minimalCompletionStage();
  }

  /** The manager removed the stream: its id is free. */
  void removed() {
    closedFuture.complete(null);
  }

  @Override
  public Labels labels(Labels base) {
    StreamLabels cached = streamLabels;
    if (cached == null || cached.base() != base) {
      cached = new StreamLabels(base, base.add(MetricNames.LABEL_STREAM, spec.id()));
      streamLabels = cached;
    }
    return cached.labels();
  }

  /** The per-stream series' labels, kept once a scrape has built them. */
  private record StreamLabels(Labels base, Labels labels) {}

  @Override
  public long attempts() {
    return loop.attempts();
  }

  @Override
  public long received() {
    return connections.received(); // no lock: see ConnectionHistory
  }

  @Override
  public long sent() {
    return sender.sent();
  }

  @Override
  public String toString() {
    return "ManagedStream{id="
        + spec.id()
        + ", url="
        + spec.redactedUrl()
        + ", state="
        + loop.state()
        + '}';
  }
}
