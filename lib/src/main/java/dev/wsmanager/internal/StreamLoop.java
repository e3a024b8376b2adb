package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.Heartbeat;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import java.io.IOException;
import java.lang.invoke.MethodHandles;
import java.lang.invoke.VarHandle;
import java.net.SocketTimeoutException;
import java.time.Instant;
import java.util.Date;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okhttp3.WebSocketListener;
import okio.ByteString;
import okio.Utf8;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream's loop: owns its state, its current connection and its timers, and decides after
 * every event whether to open, back off or give up (see {@link StreamState} for the machine).
 *
 * <p>State changes happen under {@link #lock}; sockets are touched and user callbacks run outside
 * it. Lifecycle callbacks are queued under the lock, so they keep the order of the transitions, and
 * delivered one at a time by whichever thread gets to {@link #deliver()} first.
 */
final class StreamLoop implements ManagedStream, ManagerMetrics.StreamCounters {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.ManagedStream");
  /** The most a {@code Retry-After} header can hold a stream back. */
  static final long MAX_RETRY_AFTER_MILLIS = 3_600_000L;
  /** The most messages between two clock reads on a busy stream. */
  static final int MAX_CLOCK_STRIDE = 64;

  private static final VarHandle RECEIVED;

  static {
    try {
      RECEIVED = MethodHandles.lookup().findVarHandle(StreamLoop.class, "received", long.class);
    } catch (ReflectiveOperationException e) {
      throw new ExceptionInInitializerError(e);
    }
  }

  private final Engine engine;
  /** The counters of the stream's group. */
  final ManagerMetrics metrics;
  private final StreamSpec spec;
  private final ReconnectPolicy policy;
  private final OkHttpClient client;
  private final Request request;
  private final StreamListener listener;
  private final long idleTimeoutMillis;
  /** The id as logged: control characters escaped, so an id cannot forge log lines. */
  private final String logId;
  /** Per-stream, so the sampling continues across connections; null without an extractor. */
  private final DelayRecorder delay;
  private final long createdAtMillis;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock; volatile where read without it.
  private volatile StreamState state = StreamState.CONNECTING;
  private volatile Connection current;
  private ScheduledFuture<?> timer;
  private int consecutiveFailures;
  private volatile long attempts;
  private long retries;
  private FailureReason lastReason;
  private String lastError;
  private long openedAtMillis = -1;
  private long idleCheckCount; // messages seen by the last idle check that found unstamped ones
  private long idleCheckAtMillis = -1;

  // Per-message bookkeeping, written by the current connection's reader thread only (see
  // messageReceived), read by any thread.
  private long received; // through RECEIVED: opaque, so the hot path has no fence
  private long clockReadAt = 1; // reader thread only: the message count of the next clock read
  private int clockStride = 1; // reader thread only
  private volatile long stampedCount; // messages received when lastMessageAtMillis was read
  private volatile long lastMessageAtMillis = -1;
  private volatile boolean stampNext; // an observer saw messages newer than the last stamp

  private final AtomicLong sent = new AtomicLong();

  private final ConcurrentLinkedQueue<Runnable> events = new ConcurrentLinkedQueue<>();
  private final AtomicBoolean delivering = new AtomicBoolean();

  StreamLoop(
      Engine engine, StreamSpec spec, ReconnectPolicy policy, OkHttpClient client,
      ManagerMetrics metrics) {
    this.engine = engine;
    this.metrics = metrics;
    this.spec = spec;
    this.policy = policy;
    this.client = client;
    this.listener = spec.listener();
    this.idleTimeoutMillis = spec.idleTimeout().toMillis();
    this.logId = Redaction.printable(spec.id());
    this.createdAtMillis = engine.nowMillis();
    this.delay =
        spec.eventTime() == null
            ? null
            : new DelayRecorder(
                spec.eventTime(),
                spec.eventTimeSampling(),
                engine::nowMillis,
                new DelayRecorder.Sink() {
                  @Override
                  public void delay(long millis) {
                    metrics.messageDelay(millis);
                  }

                  @Override
                  public void error(String what, RuntimeException e) {
                    listenerError(what, e);
                  }
                });
    this.request =
        new Request.Builder().url(httpUrl(spec)).headers(spec.headers()).build();
  }

  /** OkHttp takes ws and wss URLs as http and https. */
  private static String httpUrl(StreamSpec spec) {
    String url = spec.uri().toString();
    return url.regionMatches(true, 0, "wss:", 0, 4)
        ? "https:" + url.substring(4)
        : "http:" + url.substring(3);
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
      metrics.stateChanged(null, StreamState.CONNECTING);
      connectNow = scheduleConnectLocked(0);
    } finally {
      lock.unlock();
    }
    if (!engine.isRunning()) {
      // The manager began closing while this stream was published; it sets its flag before it
      // looks at the streams, so it either saw this one or this check sees the flag.
      close();
    } else if (connectNow) {
      connectAdmitted();
    }
  }

  /**
   * Arranges the next attempt in {@code delayMillis}; returns true if it may start now, on this
   * thread, with its admission slot already reserved.
   */
  private boolean scheduleConnectLocked(long delayMillis) {
    if (delayMillis > 0) {
      timer = engine.schedule(this::connect, delayMillis);
      return false;
    }
    return admitLocked();
  }

  /**
   * Reserves an admission slot for now; returns true if the attempt may start at once, or
   * schedules it for its slot. Slots are reserved when an attempt is due, never ahead of time: a
   * reservation for the end of a long backoff would move the limiter's cursor there and hold back
   * every other stream's attempt due before it.
   */
  private boolean admitLocked() {
    long waitNanos = engine.admission.reserve(engine.nowNanos());
    if (waitNanos <= 0) {
      return true;
    }
    timer = engine.schedule(this::connectAdmitted, (waitNanos + 999_999L) / 1_000_000L);
    return false;
  }

  /** A backoff timer fired: the attempt still needs an admission slot. */
  private void connect() {
    connect(false);
  }

  private void connectAdmitted() {
    connect(true);
  }

  private void connect(boolean admitted) {
    Connection c;
    lock.lock();
    try {
      if (state != StreamState.CONNECTING && state != StreamState.BACKING_OFF) {
        return;
      }
      timer = null;
      if (!admitted && !admitLocked()) {
        return; // runs again when its slot comes
      }
      c = new Connection(engine.nowNanos());
      current = c;
      attempts++;
      metrics.attempts.increment();
      c.deadline =
          engine.schedule(() -> connectTimedOut(c), spec.connectTimeout().toMillis());
      transitionLocked(StreamState.CONNECTING);
    } finally {
      lock.unlock();
    }
    deliver();
    WebSocket ws;
    try {
      ws = client.newWebSocket(request, c);
    } catch (RuntimeException e) {
      disconnected(c, FailureReason.CONNECT_ERROR, e, false, 0, false);
      return;
    }
    c.ws = ws;
    if (current != c) {
      ws.cancel(); // closed or timed out while newWebSocket ran
    }
  }

  private void opened(Connection c, WebSocket ws) {
    c.ws = ws;
    boolean stale;
    lock.lock();
    try {
      stale = current != c;
      if (!stale) {
        cancel(c.deadline);
        c.deadline = null;
      }
    } finally {
      lock.unlock();
    }
    if (stale) {
      ws.cancel();
      return;
    }
    int subscribed = 0;
    try {
      for (String message : spec.subscribeMessages()) {
        if (ws.send(message)) {
          subscribed++;
        }
      }
    } catch (RuntimeException e) {
      listenerError("subscribe hook", e);
    }
    double seconds = (engine.nowNanos() - c.startedNanos) / 1e9;
    lock.lock();
    try {
      if (current != c) {
        return;
      }
      c.open = true;
      openedAtMillis = engine.nowMillis();
      sent.addAndGet(subscribed);
      if (c.hooks != null) {
        c.hooks.opened(); // before the state: whoever sees OPEN sees the heartbeat running
      }
      transitionLocked(StreamState.OPEN);
      emit(() -> listener.onOpen(this), "onOpen");
      if (idleTimeoutMillis > 0) {
        c.deadline = engine.schedule(() -> checkIdle(c), idleTimeoutMillis);
      }
    } finally {
      lock.unlock();
    }
    metrics.sent(subscribed);
    metrics.connected(Math.max(0, seconds));
    deliver();
  }

  /**
   * Counts a message; the hot path. One reader thread per connection and one current connection
   * per stream, so the count has a single writer and needs no atomic update; the manager's total
   * is the sum of its streams' counts ({@link ManagerMetrics#received()}).
   *
   * <p>Reading the clock costs more than the rest together (~25 ns on a VM), so a busy stream does
   * not read it for every message: while consecutive reads land within a millisecond of each other
   * the stride doubles, up to every {@value #MAX_CLOCK_STRIDE}th message; a quieter stream reads it
   * for every message. Messages counted after the last read are "unstamped"; an observer that sees
   * them ({@link #checkIdle}, {@link #snapshot}) asks for the next message to be stamped.
   */
  void messageReceived() {
    long n = received + 1;
    RECEIVED.setOpaque(this, n);
    if (n >= clockReadAt || stampNext) {
      stampMessageTime(n);
    }
  }

  /**
   * A text message on the current connection: counted, shown to its hooks (none for a stream
   * without heartbeat or event time: one null check), then to the listener unless it was a
   * heartbeat reply.
   */
  void textReceived(MessageHooks hooks, String text) {
    messageReceived();
    if (hooks != null && hooks.consume(text)) {
      return; // a heartbeat reply
    }
    try {
      listener.onText(this, text);
    } catch (VirtualMachineError e) {
      throw e;
    } catch (Throwable t) {
      listenerError("onText", t);
    }
  }

  private void stampMessageTime(long n) {
    long now = engine.nowMillis();
    clockStride = now - lastMessageAtMillis <= 1 ? Math.min(clockStride * 2, MAX_CLOCK_STRIDE) : 1;
    clockReadAt = n + clockStride;
    stampedCount = n;
    lastMessageAtMillis = now;
    if (stampNext) {
      stampNext = false;
    }
  }

  /** Whether messages arrived after the last clock read; if so, the next one reads the clock. */
  private boolean unstampedMessages() {
    if (received() != stampedCount) {
      stampNext = true;
      return true;
    }
    return false;
  }

  private void serverClosing(Connection c, WebSocket ws, int code, String reason) {
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
    disconnected(c, normal ? null : FailureReason.CLOSED_BY_SERVER, cause, false, 0, false);
  }

  private void closed(Connection c) {
    lock.lock();
    try {
      if (current != c || state != StreamState.CLOSING) {
        return;
      }
      current = null;
      finishLocked();
    } finally {
      lock.unlock();
    }
    deliver();
    engine.removed(this);
  }

  private void failed(Connection c, Throwable t, Response response) {
    if (current != c) {
      return;
    }
    if (response != null) {
      int code = response.code();
      long retryAfter = 0;
      if (code == 429 || code == 503) {
        retryAfter = retryAfterMillis(response);
      }
      IOException cause = new IOException("handshake rejected with HTTP " + code);
      disconnected(c, FailureReason.HANDSHAKE_REJECTED, cause, policy.isFatal(code), retryAfter, false);
      return;
    }
    FailureReason reason;
    if (!c.open) {
      reason =
          t instanceof SocketTimeoutException
              ? FailureReason.CONNECT_TIMEOUT
              : FailureReason.CONNECT_ERROR;
    } else if (t instanceof SocketTimeoutException
        && t.getMessage() != null
        && t.getMessage().contains("ping")) {
      reason = FailureReason.PING_TIMEOUT;
    } else {
      reason = FailureReason.CONNECTION_LOST;
    }
    disconnected(c, reason, t, false, 0, false);
  }

  private long retryAfterMillis(Response response) {
    String value = response.header("Retry-After");
    if (value == null) {
      return 0;
    }
    long millis;
    try {
      millis = Long.parseLong(value.trim()) * 1000L;
    } catch (NumberFormatException e) {
      Date date = response.headers().getDate("Retry-After");
      millis = date == null ? 0 : date.getTime() - engine.nowMillis();
    }
    return Math.max(0, Math.min(millis, MAX_RETRY_AFTER_MILLIS));
  }

  private void connectTimedOut(Connection c) {
    if (current != c || c.open) {
      return;
    }
    disconnected(
        c,
        FailureReason.CONNECT_TIMEOUT,
        new SocketTimeoutException("handshake did not complete within " + spec.connectTimeout()),
        false,
        0,
        true);
  }

  private void heartbeatTimedOut(Connection c) {
    if (current != c || !c.open) {
      return;
    }
    metrics.heartbeatTimedOut();
    disconnected(
        c,
        FailureReason.HEARTBEAT_TIMEOUT,
        new SocketTimeoutException(
            "no heartbeat reply within " + spec.heartbeat().timeout()),
        false,
        0,
        true);
  }

  private void checkIdle(Connection c) {
    lock.lock();
    try {
      if (current != c || state != StreamState.OPEN) {
        return;
      }
      long now = engine.nowMillis();
      long last = Math.max(lastMessageAtMillis, openedAtMillis);
      if (unstampedMessages()) {
        // They arrived after the last stamp and before now; when no more arrive before the next
        // check, count from this one. A busy stream that falls silent is failed within one to two
        // idle timeouts, a quieter one exactly one after its last message.
        long n = received();
        if (n != idleCheckCount) {
          idleCheckCount = n;
          idleCheckAtMillis = now;
        }
        last = Math.max(last, idleCheckAtMillis);
      }
      long due = last + idleTimeoutMillis;
      if (now < due) {
        c.deadline = engine.schedule(() -> checkIdle(c), due - now);
        return;
      }
    } finally {
      lock.unlock();
    }
    disconnected(
        c,
        FailureReason.IDLE_TIMEOUT,
        new SocketTimeoutException("no message within " + spec.idleTimeout()),
        false,
        0,
        true);
  }

  /**
   * The current connection failed or ended: count it, then back off, give up, or finish a close
   * in progress.
   *
   * @param reason the failure reason, or null for a normal server close (1000/1001)
   * @param cancel whether the socket is still up and must be cancelled (our own timeouts)
   */
  private void disconnected(
      Connection c, FailureReason reason, Throwable cause, boolean fatal, long retryAfterMillis,
      boolean cancel) {
    boolean connectNow = false;
    boolean finished = false;
    lock.lock();
    try {
      if (current != c) {
        return;
      }
      current = null;
      stopTimers(c);
      if (state == StreamState.CLOSING) {
        finishLocked();
        finished = true;
      } else {
        Throwable safeCause = scrub(cause);
        if (reason != null) {
          metrics.failed(reason);
          lastReason = reason;
          lastError = reason.label() + ": " + safeCause;
          emit(() -> listener.onFailure(this, reason, safeCause), "onFailure");
        }
        long now = engine.nowMillis();
        if (c.open && now - openedAtMillis >= policy.minUptime().toMillis()) {
          consecutiveFailures = 0;
        }
        consecutiveFailures++;
        if (fatal || policy.isExhausted(consecutiveFailures)) {
          // timers first, state second: whoever sees the new state also sees its timer
          timer = engine.schedule(this::retentionElapsed, engine.failedRetention.toMillis());
          transitionLocked(StreamState.FAILED);
          FailureReason why = reason != null ? reason : lastReason;
          int failures = consecutiveFailures;
          String what = fatal ? "no retry (fatal)" : "retry attempts exhausted";
          events.add(
              () ->
                  log.warn(
                      "WSManager {}: stream '{}' ({}) gave up after {} consecutive failures,"
                          + " reason {}: {}",
                      what, logId, spec.redactedUrl(), failures,
                      why == null ? "none" : why.label(), safeCause.toString()));
          emit(() -> listener.onGaveUp(this, why, safeCause), "onGaveUp");
        } else {
          long delay = Math.max(
              policy.delayMillis(consecutiveFailures, engine.random.getAsDouble()), retryAfterMillis);
          retries++;
          metrics.retries.increment();
          connectNow = scheduleConnectLocked(delay);
          transitionLocked(StreamState.BACKING_OFF);
          long attempt = attempts + 1;
          int failures = consecutiveFailures;
          events.add(
              () ->
                  log.info(
                      "WSManager retry: stream '{}' attempt {} in {} ms, reason {}"
                          + " ({} consecutive), url {}: {}",
                      logId, attempt, delay, reason == null ? "normal_close" : reason.label(),
                      failures, spec.redactedUrl(), safeCause.toString()));
        }
      }
    } finally {
      lock.unlock();
    }
    if (cancel) {
      c.cancel();
    }
    deliver();
    if (finished) {
      engine.removed(this);
    }
    if (connectNow) {
      connectAdmitted();
    }
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
          stopTimers(closing);
          Connection c = closing;
          timer = engine.schedule(() -> closeTimedOut(c), engine.closeTimeout.toMillis());
          transitionLocked(StreamState.CLOSING);
          break;
        default:
          cancelling = current;
          current = null;
          if (cancelling != null) {
            stopTimers(cancelling);
          }
          finishLocked();
      }
    } finally {
      lock.unlock();
    }
    if (closing != null) {
      WebSocket ws = closing.ws;
      if (ws != null) {
        ws.close(1000, null); // false means it is already failing: onFailure finishes the close
      }
    }
    if (cancelling != null) {
      cancelling.cancel();
    }
    deliver();
    if (closing == null) {
      engine.removed(this);
    }
  }

  /**
   * An operator's reconnect: drops the open connection (closing it with 1000) or skips the
   * backoff wait, or revives a {@link StreamState#FAILED} stream with a fresh attempt count, and
   * connects at once (subject to admission). Not a failure: no failure reason, no retry counted.
   *
   * @return the state before, or null if the stream is closing or closed
   */
  StreamState reconnect() {
    Connection dropped = null;
    boolean connectNow;
    StreamState before;
    lock.lock();
    try {
      before = state;
      switch (before) {
        case CLOSING:
        case CLOSED:
          return null;
        case CONNECTING:
          return before; // already on its way
        case OPEN:
          dropped = current;
          current = null;
          stopTimers(dropped);
          if (engine.nowMillis() - openedAtMillis >= policy.minUptime().toMillis()) {
            consecutiveFailures = 0;
          }
          break;
        case FAILED:
          consecutiveFailures = 0;
          break;
        default:
          break;
      }
      cancel(timer); // the backoff or the failed-stream retention
      timer = null;
      transitionLocked(StreamState.CONNECTING);
      connectNow = admitLocked();
    } finally {
      lock.unlock();
    }
    if (dropped != null && dropped.ws != null) {
      dropped.ws.close(1000, "reconnect requested"); // its events are ignored from now on
    }
    deliver();
    if (connectNow) {
      connectAdmitted();
    }
    return before;
  }

  /**
   * How long the stream has received nothing: since its last message, or since it was opened
   * when it never received one.
   */
  long idleMillis(long now) {
    lock.lock();
    try {
      long last = Math.max(createdAtMillis, lastMessageAtMillis);
      if (unstampedMessages()) {
        // messages arrived after the last clock read: they count from the first time an
        // observer saw them (as in checkIdle)
        long n = received();
        if (n != idleCheckCount) {
          idleCheckCount = n;
          idleCheckAtMillis = now;
        }
        last = Math.max(last, idleCheckAtMillis);
      }
      return Math.max(0, now - last);
    } finally {
      lock.unlock();
    }
  }

  private void closeTimedOut(Connection c) {
    lock.lock();
    try {
      if (current != c || state != StreamState.CLOSING) {
        return;
      }
      current = null;
      finishLocked();
    } finally {
      lock.unlock();
    }
    c.cancel();
    deliver();
    engine.removed(this);
  }

  /** Ends the stream at once: cancels its connection without a close handshake. */
  void abort() {
    Connection c;
    lock.lock();
    try {
      if (state == StreamState.CLOSED) {
        return;
      }
      c = current;
      current = null;
      if (c != null) {
        stopTimers(c);
      }
      finishLocked();
    } finally {
      lock.unlock();
    }
    if (c != null) {
      c.cancel();
    }
    deliver();
    engine.removed(this);
  }

  private void finishLocked() {
    cancel(timer);
    timer = null;
    transitionLocked(StreamState.CLOSED);
    emit(() -> listener.onClosed(this), "onClosed");
  }

  private void transitionLocked(StreamState to) {
    StreamState from = state;
    if (from == to) {
      return;
    }
    state = to;
    metrics.stateChanged(from, to);
    events.add(() -> log.info("stream '{}' {} -> {}", logId, from, to));
    emit(() -> listener.onStateChange(this, from, to), "onStateChange");
  }

  private void emit(Runnable callback, String name) {
    events.add(
        () -> {
          try {
            callback.run();
          } catch (VirtualMachineError e) {
            throw e;
          } catch (Throwable t) {
            listenerError(name, t);
          }
        });
  }

  /** Runs queued lifecycle events, one thread at a time, in the order they were queued. */
  private void deliver() {
    while (!events.isEmpty()) {
      if (!delivering.compareAndSet(false, true)) {
        return; // another thread is delivering and will see our events
      }
      try {
        Runnable event;
        while ((event = events.poll()) != null) {
          event.run();
        }
      } finally {
        delivering.set(false);
      }
    }
  }

  private void listenerError(String callback, Throwable t) {
    metrics.listenerErrors.increment();
    log.warn("stream '{}': listener {} threw; the stream carries on", logId, callback, t);
  }

  private Throwable scrub(Throwable cause) {
    String message = cause.getMessage();
    String clean = Redaction.scrub(message, spec.uri());
    if (message == null || message.equals(clean)) {
      return cause;
    }
    return new IOException(cause.getClass().getSimpleName() + ": " + clean);
  }

  /** Stops a connection's timers: its connect or idle deadline and its heartbeat. */
  private static void stopTimers(Connection c) {
    cancel(c.deadline);
    if (c.hooks != null) {
      c.hooks.stop();
    }
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
    Connection c = current;
    if (c == null || state != StreamState.OPEN) {
      return false;
    }
    WebSocket ws = c.ws;
    long limit = spec.maxQueuedBytes();
    long queued = ws.queueSize();
    if (queued + 3L * text.length() > limit && queued + Utf8.size(text) > limit) {
      return false;
    }
    return countSent(ws.send(text));
  }

  @Override
  public boolean send(ByteString bytes) {
    Connection c = current;
    if (c == null || state != StreamState.OPEN) {
      return false;
    }
    WebSocket ws = c.ws;
    if (ws.queueSize() + bytes.size() > spec.maxQueuedBytes()) {
      return false;
    }
    return countSent(ws.send(bytes));
  }

  private boolean countSent(boolean queued) {
    if (queued) {
      sent.incrementAndGet();
      metrics.sent(1);
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
          lastMessageAt(),
          received(),
          sent.get(),
          queuedBytes(),
          spec.group());
    } finally {
      lock.unlock();
    }
  }

  @Override
  public long attempts() {
    return attempts;
  }

  @Override
  public long received() {
    return (long) RECEIVED.getOpaque(this);
  }

  private Instant lastMessageAt() {
    long at = lastMessageAtMillis;
    unstampedMessages();
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

  /** One physical connection attempt; events from a connection that is no longer current are ignored. */
  private final class Connection extends WebSocketListener implements HeartbeatMonitor.Host {
    final long startedNanos;
    /** Heartbeat and delay per text message; null when the stream has neither. */
    final MessageHooks hooks;
    volatile WebSocket ws;
    volatile boolean open;
    ScheduledFuture<?> deadline; // guarded by lock: connect timeout, then idle check

    Connection(long startedNanos) {
      this.startedNanos = startedNanos;
      Heartbeat hb = spec.heartbeat();
      this.hooks = MessageHooks.of(hb == null ? null : new HeartbeatMonitor(hb, this), delay);
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
      return engine.schedule(task, delayMillis);
    }

    @Override
    public long nowNanos() {
      return engine.nowNanos();
    }

    @Override
    public boolean send(String text) {
      WebSocket w = ws;
      if (current != this || !open || w == null) {
        return false;
      }
      return countSent(w.send(text));
    }

    @Override
    public void answered(long rttNanos) {
      metrics.heartbeatAnswered(rttNanos / 1e9);
    }

    @Override
    public void timedOut() {
      heartbeatTimedOut(this);
    }

    @Override
    public void error(String what, RuntimeException e) {
      listenerError(what, e);
    }

    void cancel() {
      WebSocket w = ws;
      if (w != null) {
        w.cancel();
      }
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      opened(this, webSocket);
    }

    @Override
    public void onMessage(WebSocket webSocket, String text) {
      if (current != this) {
        return;
      }
      textReceived(hooks, text);
    }

    @Override
    public void onMessage(WebSocket webSocket, ByteString bytes) {
      if (current != this) {
        return;
      }
      messageReceived();
      try {
        listener.onBinary(StreamLoop.this, bytes);
      } catch (VirtualMachineError e) {
        throw e;
      } catch (Throwable t) {
        listenerError("onBinary", t);
      }
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      serverClosing(this, webSocket, code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      closed(this);
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, Response response) {
      failed(this, t, response);
    }
  }
}
