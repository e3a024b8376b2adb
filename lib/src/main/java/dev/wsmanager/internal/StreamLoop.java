package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okio.ByteString;
import okio.Utf8;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream's state machine: owns its state, its current {@link Connection} and its timers, and
 * decides after every event whether to open, back off or give up (see {@link StreamState}).
 *
 * <p>State changes happen under {@link #lock}; sockets are touched, log lines written and user
 * callbacks queued for delivery ({@link SerialCallbacks}) after it is released. Timers run on the
 * manager's scheduler and never call user code.
 */
final class StreamLoop implements ManagedStream, ManagerMetrics.StreamCounters {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.ManagedStream");
  /** How often a reconnect waits for a stalled listener callback of the last connection to end. */
  static final long STALLED_RECHECK_MILLIS = 100;

  private final StreamContext ctx;
  private final StreamSpec spec;
  private final ReconnectPolicy policy;
  private final OkHttpClient client;
  private final Request request;
  private final StreamListener listener;
  private final long idleTimeoutMillis;
  /** The id as logged: control characters escaped, so an id cannot forge log lines. */
  private final String logId;
  private final SerialCallbacks callbacks;
  private final QueuedDelivery queued; // null: messages are delivered on the reader thread
  private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock; volatile where read without it.
  private volatile StreamState state = StreamState.CONNECTING;
  private volatile Connection current;
  // The last two connections that ended. Their readers may still be finishing a message, so
  // their counts are folded into foldedReceived only when a third one ends.
  private Connection previous;
  private Connection older;
  private long foldedReceived; // messages of connections before older
  private ScheduledFuture<?> timer;
  private int consecutiveFailures;
  private volatile long attempts;
  private long retries;
  private FailureReason lastReason;
  private String lastError;
  private long openedAtMillis = -1;
  private long idleCheckCount; // messages seen by the last idle check that found unstamped ones
  private long idleCheckAtMillis = -1;
  private final List<Runnable> logs = new ArrayList<>(); // written after the lock is released

  private final AtomicLong sent = new AtomicLong();

  StreamLoop(StreamContext ctx, StreamSpec spec, ReconnectPolicy policy, OkHttpClient client) {
    this.ctx = ctx;
    this.spec = spec;
    this.policy = policy;
    this.client = client;
    this.listener = spec.listener();
    this.idleTimeoutMillis = spec.idleTimeout().toMillis();
    this.logId = Redaction.printable(spec.id());
    this.callbacks =
        new SerialCallbacks(ctx.callbacks(), logId, ctx.metrics().listenerErrors::increment);
    this.queued =
        spec.deliveryQueueCapacity() > 0
            ? new QueuedDelivery(
                spec.deliveryQueueCapacity(), spec.queueOverflow(), callbacks, ctx.metrics(),
                listener, this)
            : null;
    // OkHttp takes ws: and wss: URLs as http: and https:
    this.request = new Request.Builder().url(spec.uri().toString()).headers(spec.headers()).build();
  }

  /**
   * Makes the stream visible with {@code publish} and starts it, both under the stream's lock, so
   * that no other thread can close it half-started. If {@code publish} throws, nothing starts.
   */
  void start(Runnable publish) {
    boolean connectNow;
    lock.lock();
    try {
      publish.run();
      ctx.metrics().stateChanged(null, StreamState.CONNECTING);
      connectNow = scheduleConnectLocked(0);
    } finally {
      lock.unlock();
    }
    if (!ctx.isRunning()) {
      // The manager began closing while this stream was published; it sets its flag before it
      // looks at the streams, so it either saw this one or this check sees the flag.
      close();
    } else if (connectNow) {
      connect(true);
    }
  }

  /**
   * Arranges the next attempt in {@code delayMillis}; returns true if it may start now, on this
   * thread, with its admission slot already reserved.
   */
  private boolean scheduleConnectLocked(long delayMillis) {
    if (delayMillis > 0) {
      timer = ctx.schedule(() -> connect(false), delayMillis);
      return false;
    }
    return admitLocked();
  }

  /**
   * Reserves an admission slot for now; returns true if the attempt may start at once, or
   * schedules it for its slot. Slots are reserved when an attempt is due, never ahead of time: a
   * reservation for the end of a long backoff would hold back every other stream's earlier one.
   */
  private boolean admitLocked() {
    long waitNanos = ctx.reserveAdmissionNanos();
    if (waitNanos <= 0) {
      return true;
    }
    timer = ctx.schedule(() -> connect(true), (waitNanos + 999_999L) / 1_000_000L);
    return false;
  }

  private void connect(boolean admitted) {
    Connection c;
    lock.lock();
    try {
      if (state != StreamState.CONNECTING && state != StreamState.BACKING_OFF) {
        return;
      }
      timer = null;
      if (previous != null && previous.counter.inCallback()) {
        // The last connection's reader is still inside a stalled listener callback: a new reader
        // would call the listener concurrently with it. Wait for it to return.
        timer = ctx.schedule(() -> connect(admitted), STALLED_RECHECK_MILLIS);
        return;
      }
      if (!admitted && !admitLocked()) {
        return; // runs again when its slot comes
      }
      c = new Connection(this, ctx.nowNanos(), ctx::nowMillis);
      current = c;
      attempts++;
      ctx.metrics().attempts.increment();
      c.deadline = ctx.schedule(() -> connectTimedOut(c), spec.connectTimeout().toMillis());
      transitionLocked(StreamState.CONNECTING);
    } finally {
      unlock();
    }
    WebSocket ws;
    try {
      ws = client.newWebSocket(request, c);
    } catch (RuntimeException e) {
      disconnected(c, Disconnect.failed(FailureReason.CONNECT_ERROR, e));
      return;
    }
    c.ws = ws;
    if (current != c) {
      ws.cancel(); // closed or timed out while newWebSocket ran
    }
  }

  void opened(Connection c, WebSocket ws) {
    c.ws = ws;
    lock.lock();
    try {
      if (current != c) {
        c.cancel();
        return;
      }
      cancel(c.deadline);
      c.deadline = null;
    } finally {
      lock.unlock();
    }
    int subscribed = 0;
    try {
      for (String message : spec.subscribeMessages()) {
        if (ws.send(message)) {
          subscribed++;
        }
      }
    } catch (RuntimeException e) {
      callbacks.threw("subscribe hook", e);
    }
    double seconds = (ctx.nowNanos() - c.startedNanos) / 1e9;
    lock.lock();
    try {
      if (current != c) {
        return;
      }
      c.open = true;
      openedAtMillis = ctx.nowMillis();
      sent.addAndGet(subscribed);
      transitionLocked(StreamState.OPEN);
      callbacks.emit("onOpen", () -> listener.onOpen(this));
      if (idleTimeoutMillis > 0) {
        c.deadline = ctx.schedule(() -> checkIdle(c), idleTimeoutMillis);
      }
    } finally {
      unlock();
    }
    ctx.metrics().sent(subscribed);
    ctx.metrics().connected(Math.max(0, seconds));
  }

  /** A text message on connection {@code c}: counted, then handed to the listener or queued. */
  void text(Connection c, String text) {
    if (current != c) {
      return;
    }
    MessageCounter counter = c.counter;
    counter.increment();
    if (queued != null) {
      if (!queued.offer(text)) {
        overflowed(c);
      }
      return;
    }
    counter.inCallback(true);
    try {
      listener.onText(this, text);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      callbacks.threw("onText", t);
    } finally {
      counter.inCallback(false);
    }
  }

  void binary(Connection c, ByteString bytes) {
    if (current != c) {
      return;
    }
    MessageCounter counter = c.counter;
    counter.increment();
    if (queued != null) {
      if (!queued.offer(bytes)) {
        overflowed(c);
      }
      return;
    }
    counter.inCallback(true);
    try {
      listener.onBinary(this, bytes);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      callbacks.threw("onBinary", t);
    } finally {
      counter.inCallback(false);
    }
  }

  /** The delivery queue is full and its policy is to disconnect. */
  private void overflowed(Connection c) {
    disconnected(
        c,
        Disconnect.failed(
            FailureReason.LISTENER_STALLED,
            new IOException(
                "delivery queue full (" + spec.deliveryQueueCapacity() + " messages): the listener"
                    + " falls behind the stream")));
  }

  void serverClosing(Connection c, WebSocket ws, int code, String reason) {
    ws.close(1000, null);
    lock.lock();
    try {
      if (current != c || state == StreamState.CLOSING) {
        return; // stale, or the server's answer to our own close: onClosed finishes
      }
    } finally {
      lock.unlock();
    }
    IOException cause =
        new IOException(
            "server closed the connection with " + code + (reason.isEmpty() ? "" : " (" + reason + ")"));
    boolean normal = code == 1000 || code == 1001;
    disconnected(c, Disconnect.serverClosed(normal ? null : FailureReason.CLOSED_BY_SERVER, cause));
  }

  /** OkHttp finished the close handshake; it closes the socket only after telling us, so we do. */
  void closed(Connection c) {
    c.cancel();
    lock.lock();
    try {
      if (current != c || state != StreamState.CLOSING) {
        return;
      }
      retireLocked(c);
      finishLocked();
    } finally {
      unlock();
    }
    ctx.removed(this);
  }

  void failed(Connection c, Throwable t, Response response) {
    if (current != c) {
      return;
    }
    if (response != null) {
      ctx.metrics().handshakeRejected(response.code());
    }
    disconnected(
        c,
        FailureClassifier.classify(
            t, response, c.open, c.counter.inCallback(), policy, ctx.nowMillis(), logId));
  }

  private void connectTimedOut(Connection c) {
    if (current != c || c.open) {
      return;
    }
    disconnected(
        c,
        Disconnect.timedOut(
            FailureReason.CONNECT_TIMEOUT,
            new SocketTimeoutException("handshake did not complete within " + spec.connectTimeout())));
  }

  private void checkIdle(Connection c) {
    lock.lock();
    try {
      if (current != c || state != StreamState.OPEN) {
        return;
      }
      long now = ctx.nowMillis();
      long last = Math.max(c.counter.lastMessageAtMillis(), openedAtMillis);
      if (c.counter.unstamped()) {
        // They arrived after the last stamp and before now; when no more arrive before the next
        // check, count from this one. A busy stream that falls silent is failed within one to two
        // idle timeouts, a quieter one exactly one after its last message.
        long n = c.counter.count();
        if (n != idleCheckCount) {
          idleCheckCount = n;
          idleCheckAtMillis = now;
        }
        last = Math.max(last, idleCheckAtMillis);
      }
      long due = last + idleTimeoutMillis;
      if (now < due) {
        c.deadline = ctx.schedule(() -> checkIdle(c), due - now);
        return;
      }
    } finally {
      lock.unlock();
    }
    boolean busy = c.counter.inCallback();
    disconnected(
        c,
        busy
            ? Disconnect.timedOut(
                FailureReason.LISTENER_STALLED,
                new SocketTimeoutException(
                    "no message read within " + spec.idleTimeout()
                        + ": the listener has not returned from a message callback"))
            : Disconnect.timedOut(
                FailureReason.IDLE_TIMEOUT,
                new SocketTimeoutException("no message within " + spec.idleTimeout())));
  }

  /**
   * The current connection failed or ended: count it, then back off, give up, or finish a close
   * in progress.
   */
  private void disconnected(Connection c, Disconnect d) {
    boolean connectNow = false;
    boolean finished = false;
    lock.lock();
    try {
      if (current != c) {
        return;
      }
      retireLocked(c);
      if (state == StreamState.CLOSING) {
        finishLocked();
        finished = true;
      } else {
        connectNow = failedLocked(c, d);
      }
    } finally {
      unlock();
    }
    if (d.cancelSocket()) {
      c.cancel(); // OkHttp closes the socket after reporting: closed before we say so
    }
    if (finished) {
      ctx.removed(this);
    }
    if (connectNow) {
      connect(true);
    }
  }

  /** Counts a failure, then gives up or schedules the reconnect; true to connect at once. */
  private boolean failedLocked(Connection c, Disconnect d) {
    FailureReason reason = d.reason();
    Throwable cause = scrub(d.cause());
    if (reason != null) {
      ctx.metrics().failed(reason);
      lastReason = reason;
      lastError = reason.label() + ": " + cause;
      callbacks.emit("onFailure", () -> listener.onFailure(this, reason, cause));
    }
    long now = ctx.nowMillis();
    if (c.open && now - openedAtMillis >= policy.minUptime().toMillis()) {
      consecutiveFailures = 0;
    }
    consecutiveFailures++;
    if (d.fatal() || policy.isExhausted(consecutiveFailures)) {
      // timers first, state second: whoever sees the new state also sees its timer
      timer = ctx.schedule(this::retentionElapsed, ctx.failedRetentionMillis());
      transitionLocked(StreamState.FAILED);
      FailureReason why = reason != null ? reason : lastReason;
      int failures = consecutiveFailures;
      logs.add(
          () ->
              log.warn(
                  "stream '{}' ({}) gave up after {} consecutive failures: {}",
                  logId, spec.redactedUrl(), failures, cause.toString()));
      callbacks.emit("onGaveUp", () -> listener.onGaveUp(this, why, cause));
      return false;
    }
    long backoff = policy.delayMillis(consecutiveFailures, ctx.random());
    long delay = Math.max(backoff, d.retryAfterMillis());
    retries++;
    ctx.metrics().retried(delay - backoff);
    boolean connectNow = scheduleConnectLocked(delay);
    transitionLocked(StreamState.BACKING_OFF);
    int failures = consecutiveFailures;
    boolean repeatedTls = reason == FailureReason.TLS_ERROR && failures > 1;
    logs.add(
        () -> {
          String what = reason == null ? "normal close" : reason.label();
          if (repeatedTls) {
            log.warn(
                "stream '{}' ({}) failed TLS {} times in a row: {}; the server's certificate is not"
                    + " trusted by this client or does not match the host; reconnecting in {} ms",
                logId, spec.redactedUrl(), failures, cause, delay);
          } else {
            log.info(
                "stream '{}' ({}) disconnected ({}): {}; reconnecting in {} ms{}",
                logId, spec.redactedUrl(), what, cause, delay,
                delay > backoff ? " as the server asked (Retry-After)" : "");
          }
        });
    return connectNow;
  }

  private void retentionElapsed() {
    if (state == StreamState.FAILED) {
      close();
    }
  }

  @Override
  public void close() {
    Connection closing = null;
    Connection cancelling = null;
    lock.lock();
    try {
      switch (state) {
        case CLOSED:
        case CLOSING:
          return;
        case OPEN:
          closing = current;
          cancel(closing.deadline);
          Connection c = closing;
          timer = ctx.schedule(() -> closeTimedOut(c), ctx.closeTimeoutMillis());
          transitionLocked(StreamState.CLOSING);
          break;
        default:
          cancelling = current;
          if (cancelling != null) {
            retireLocked(cancelling);
          }
          finishLocked();
      }
    } finally {
      unlock();
    }
    if (closing != null) {
      WebSocket ws = closing.ws;
      if (ws != null) {
        ws.close(1000, null); // false means it is already failing: onFailure finishes the close
      }
    }
    if (closing == null) {
      cancelRetired();
      ctx.removed(this);
    }
  }

  @Override
  public CompletionStage<Void> closeAsync() {
    close();
    return closedFuture.minimalCompletionStage();
  }

  private void closeTimedOut(Connection c) {
    lock.lock();
    try {
      if (current != c || state != StreamState.CLOSING) {
        return;
      }
      retireLocked(c);
      finishLocked();
    } finally {
      unlock();
    }
    cancelRetired();
    ctx.removed(this);
  }

  /** Ends the stream at once: cancels its connection without a close handshake. */
  void abort() {
    lock.lock();
    try {
      if (state != StreamState.CLOSED) {
        Connection c = current;
        if (c != null) {
          retireLocked(c);
        }
        finishLocked();
      }
    } finally {
      unlock();
    }
    cancelRetired();
    ctx.removed(this);
  }

  /** {@code c}, the current connection, ended: it is no longer current and its timer stops. */
  private void retireLocked(Connection c) {
    current = null;
    cancel(c.deadline);
    if (older != null) {
      foldedReceived += older.counter.count();
    }
    older = previous;
    previous = c;
  }

  /** Cancels the sockets of the connections that ended, in case one is still closing. */
  private void cancelRetired() {
    Connection p;
    Connection o;
    lock.lock();
    try {
      p = previous;
      o = older;
    } finally {
      lock.unlock();
    }
    if (p != null) {
      p.cancel();
    }
    if (o != null) {
      o.cancel();
    }
  }

  /** Called by the manager once the stream is removed: its id is free. */
  void removedFromManager() {
    closedFuture.complete(null);
  }

  private void finishLocked() {
    cancel(timer);
    timer = null;
    transitionLocked(StreamState.CLOSED);
    callbacks.emit("onClosed", () -> listener.onClosed(this));
  }

  private void transitionLocked(StreamState to) {
    StreamState from = state;
    if (from == to) {
      return;
    }
    state = to;
    ctx.metrics().stateChanged(from, to);
    logs.add(() -> log.info("stream '{}' {} -> {}", logId, from, to));
    callbacks.emit("onStateChange", () -> listener.onStateChange(this, from, to));
  }

  /** Releases the lock, then writes the log lines and starts delivering the callbacks queued. */
  private void unlock() {
    Runnable[] pending = logs.isEmpty() ? null : logs.toArray(new Runnable[0]);
    logs.clear();
    lock.unlock();
    if (pending != null) {
      for (Runnable line : pending) {
        line.run();
      }
    }
    callbacks.flush();
  }

  private Throwable scrub(Throwable cause) {
    String message = cause.getMessage();
    String clean = Redaction.scrub(message, spec.uri());
    if (message == null || message.equals(clean)) {
      return cause;
    }
    return new IOException(cause.getClass().getSimpleName() + ": " + clean);
  }

  private static void cancel(ScheduledFuture<?> future) {
    if (future != null) {
      future.cancel(false);
    }
  }

  @Override
  public String id() {
    return spec.id();
  }

  @Override
  public StreamState state() {
    return state;
  }

  @Override
  public boolean send(String text) {
    Objects.requireNonNull(text, "send(String text): text must not be null");
    WebSocket ws = openSocket();
    if (ws == null) {
      return false;
    }
    long limit = spec.maxQueuedBytes();
    long queued = ws.queueSize();
    if (queued + 3L * text.length() > limit) {
      long size = Utf8.size(text);
      if (size > limit) {
        return rejected(ManagerMetrics.SendRejection.TOO_LARGE);
      }
      if (queued + size > limit) {
        return rejected(ManagerMetrics.SendRejection.QUEUE_FULL);
      }
    }
    return countSent(ws.send(text));
  }

  @Override
  public boolean send(ByteString bytes) {
    Objects.requireNonNull(bytes, "send(ByteString bytes): bytes must not be null");
    WebSocket ws = openSocket();
    if (ws == null) {
      return false;
    }
    long limit = spec.maxQueuedBytes();
    if (bytes.size() > limit) {
      return rejected(ManagerMetrics.SendRejection.TOO_LARGE);
    }
    if (ws.queueSize() + bytes.size() > limit) {
      return rejected(ManagerMetrics.SendRejection.QUEUE_FULL);
    }
    return countSent(ws.send(bytes));
  }

  /** The socket to send on, or null (counted) when the stream is not open. */
  private WebSocket openSocket() {
    Connection c = current;
    WebSocket ws = c == null ? null : c.ws;
    if (ws == null || state != StreamState.OPEN) {
      rejected(ManagerMetrics.SendRejection.NOT_OPEN);
      return null;
    }
    return ws;
  }

  private boolean rejected(ManagerMetrics.SendRejection why) {
    ctx.metrics().sendRejected(why);
    if (why == ManagerMetrics.SendRejection.TOO_LARGE) {
      log.warn(
          "stream '{}': send rejected: the message is larger than maxQueuedBytes ({} bytes) and"
              + " can never be queued; raise maxQueuedBytes or split the message",
          logId, spec.maxQueuedBytes());
    }
    return false;
  }

  private boolean countSent(boolean queued) {
    if (queued) {
      sent.incrementAndGet();
      ctx.metrics().sent(1);
    } else {
      ctx.metrics().sendRejected(ManagerMetrics.SendRejection.NOT_OPEN); // closing underneath
    }
    return queued;
  }

  @Override
  public long queuedBytes() {
    Connection c = current;
    WebSocket ws = c == null ? null : c.ws;
    return ws == null ? 0 : ws.queueSize();
  }

  @Override
  public StreamSnapshot snapshot() {
    lock.lock();
    try {
      return new StreamSnapshot(
          spec.id(),
          spec.redactedUrl(),
          state,
          attempts,
          retries,
          consecutiveFailures,
          lastReason,
          lastError,
          openedAtMillis < 0 ? null : Instant.ofEpochMilli(openedAtMillis),
          lastMessageAtLocked(),
          receivedLocked(),
          sent.get(),
          queuedBytes());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long attempts() {
    return attempts;
  }

  /**
   * Messages received over the stream's life: the folded count plus the current and the last two
   * connections' own counts. Each count has one writer, its connection's reader thread.
   */
  @Override
  public long received() {
    lock.lock();
    try {
      return receivedLocked();
    } finally {
      lock.unlock();
    }
  }

  private long receivedLocked() {
    long n = foldedReceived;
    for (Connection c : new Connection[] {current, previous, older}) {
      if (c != null) {
        n += c.counter.count();
      }
    }
    return n;
  }

  private Instant lastMessageAtLocked() {
    long at = -1;
    for (Connection c : new Connection[] {current, previous}) {
      if (c != null) {
        at = Math.max(at, c.counter.lastMessageAtMillis());
        c.counter.unstamped();
      }
    }
    return at < 0 ? null : Instant.ofEpochMilli(at);
  }

  @Override
  public long sent() {
    return sent.get();
  }

  @Override
  public String toString() {
    return "ManagedStream{id=" + spec.id() + ", url=" + spec.redactedUrl() + ", state=" + state + '}';
  }
}
