package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.Heartbeat;
import dev.wsmanager.ManagedStream;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import dev.wsmanager.metrics.MetricNames;
import io.prometheus.metrics.model.snapshots.Labels;
import java.io.IOException;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;
import okio.ByteString;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One stream's state machine: owns its state, its connections and its timers, and decides after
 * every event whether to open, back off or give up (see {@link StreamState}). What it needs from
 * the manager is a {@link StreamContext}.
 *
 * <p>State changes happen under {@link #lock}; sockets are touched and log lines written after it
 * is released, and user callbacks are queued under it (so they keep the order of the transitions)
 * and delivered by {@link SerialCallbacks} on the manager's callback threads. Timers run on the
 * manager's scheduler and never call user code.
 */
final class StreamLoop implements ManagedStream, ManagerMetrics.StreamCounters {
  private static final Logger log = LoggerFactory.getLogger("dev.wsmanager.ManagedStream");

  /** How often a reconnect checks whether the last connection's stalled callback has returned. */
  static final long STALLED_RECHECK_MILLIS = 100;

  private final StreamContext ctx;

  /** The counters of the stream's group. */
  final ManagerMetrics metrics;

  private final StreamSpec spec;
  private final ReconnectPolicy policy;
  private final OkHttpClient client;
  private final Request request;
  private final StreamListener listener;
  private final ListenerOverrides overrides;
  private volatile StreamLabels streamLabels;
  private final long idleTimeoutMillis;

  /** The id as logged: control characters escaped, so an id cannot forge log lines. */
  private final String logId;

  private final SerialCallbacks callbacks;
  private final MessageDelivery messages;
  private final Sender sender;
  private final CompletableFuture<Void> closedFuture = new CompletableFuture<>();

  /** Per stream, so that its sampling carries on across connections; null without event time. */
  private final DelayRecorder delay;

  private final long createdAtMillis;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock; volatile where read without it.
  private volatile StreamState state = StreamState.CONNECTING;
  private final ConnectionHistory connections = new ConnectionHistory();
  private ScheduledFuture<?> timer;
  private int consecutiveFailures;
  private volatile long attempts;
  private long retries;
  private FailureReason lastReason;
  private String lastError;
  private long openedAtMillis = -1;
  private long idleCheckCount; // messages seen by the last idle check that found unstamped ones
  private long idleCheckAtMillis = -1;
  private long adminSeenCount; // messages seen by the last closeIdle that found unstamped ones
  private long adminSeenAtMillis = -1;
  private boolean waitingForSlot; // in line for a handshake slot (ctx.acquireConnectSlot)
  private final List<Runnable> logs = new ArrayList<>(); // written after the lock is released

  StreamLoop(
      StreamContext ctx,
      StreamSpec spec,
      ReconnectPolicy policy,
      OkHttpClient client,
      ManagerMetrics metrics) {
    this.ctx = ctx;
    this.metrics = metrics;
    this.spec = spec;
    this.policy = policy;
    this.client = client;
    this.listener = spec.listener();
    this.overrides = ListenerOverrides.of(listener);
    this.idleTimeoutMillis = spec.idleTimeout().toMillis();
    this.logId = Redaction.printable(spec.id());
    this.createdAtMillis = ctx.nowMillis();
    this.callbacks = new SerialCallbacks(ctx.callbacks(), logId, metrics.listenerErrors::increment);
    QueuedDelivery queued =
        spec.deliveryQueueCapacity() == 0
            ? null
            : new QueuedDelivery(
                spec.deliveryQueueCapacity(),
                spec.queueOverflow(),
                callbacks,
                metrics,
                listener,
                this);
    this.messages = new MessageDelivery(listener, this, callbacks, queued);
    this.sender = new Sender(spec.maxQueuedBytes(), metrics, logId);
    this.delay =
        spec.eventTime() == null
            ? null
            : new DelayRecorder(
                spec.eventTime(),
                spec.eventTimeSampling(),
                ctx::nowMillis,
                new DelayRecorder.Sink() {
                  @Override
                  public void delay(long millis) {
                    metrics.messageDelay(millis);
                  }

                  @Override
                  public void error(String what, RuntimeException e) {
                    callbacks.threw(what, e);
                  }
                });
    // OkHttp takes ws: and wss: URLs as http: and https:
    this.request = new Request.Builder().url(spec.url()).headers(spec.headers()).build();
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
    if (!ctx.isRunning()) {
      // The manager began closing while this stream was published; it sets its flag before it
      // looks at the streams, so it either saw this one or this check sees the flag.
      close();
    } else if (connectNow) {
      connect(true, false);
    }
  }

  /**
   * Arranges the next attempt in {@code delayMillis}; returns true if it may start now, on this
   * thread, with its admission slot already reserved.
   */
  private boolean scheduleConnectLocked(long delayMillis) {
    if (delayMillis > 0) {
      timer = ctx.schedule(() -> connect(false, false), delayMillis);
      return false;
    }
    return admitLocked();
  }

  /**
   * Reserves an admission slot for now; returns true if the attempt may start at once, or schedules
   * it for its slot. Slots are reserved when an attempt is due, never ahead of time: a reservation
   * for the end of a long backoff would hold back every other stream's earlier one.
   */
  private boolean admitLocked() {
    long waitNanos = ctx.reserveAdmissionNanos();
    if (waitNanos <= 0) {
      return true;
    }
    timer = ctx.schedule(() -> connect(true, false), (waitNanos + 999_999L) / 1_000_000L);
    return false;
  }

  /** A handshake slot this stream waited for is its own now (on the scheduler). */
  void slotGranted() {
    connect(true, true);
  }

  /**
   * Starts an attempt: waits for a stalled callback, then for its admission (unless {@code
   * admitted}), then for a handshake slot (unless {@code slotHeld}); each wait calls back here.
   */
  private void connect(boolean admitted, boolean slotHeld) {
    Connection c;
    boolean releaseSlot = slotHeld; // given back unless a connection takes it
    lock.lock();
    try {
      if (slotHeld) {
        waitingForSlot = false;
      }
      if (waitingForSlot || (state != StreamState.CONNECTING && state != StreamState.BACKING_OFF)) {
        return;
      }
      timer = null;
      Connection last = connections.previous();
      if (last != null && last.counter.inCallback()) {
        // The last connection's reader is still inside a stalled listener callback: a new reader
        // would call the listener concurrently with it. Wait for it to return.
        timer = ctx.schedule(() -> connect(admitted, false), STALLED_RECHECK_MILLIS);
        return;
      }
      if (!admitted && !admitLocked()) {
        return; // runs again when its slot comes
      }
      if (!slotHeld && !ctx.acquireConnectSlot(this)) {
        // in line for a handshake slot: CONNECTING, with no connect timer yet
        waitingForSlot = true;
        transitionLocked(StreamState.CONNECTING);
        return;
      }
      releaseSlot = false;
      c = new Connection(this, messages, ctx.nowNanos(), ctx::nowMillis, this::hooksFor);
      c.holdsSlot = true;
      connections.start(c);
      attempts++;
      metrics.attempts.increment();
      c.deadline = ctx.schedule(() -> connectTimedOut(c), spec.connectTimeout().toMillis());
      transitionLocked(StreamState.CONNECTING);
    } finally {
      unlock();
      if (releaseSlot) {
        ctx.releaseConnectSlot();
      }
    }
    WebSocket ws;
    try {
      ws = client.newWebSocket(request, c);
    } catch (RuntimeException e) {
      disconnected(c, Disconnect.failed(FailureReason.CONNECT_ERROR, e));
      return;
    }
    c.ws = ws;
    if (!isCurrent(c)) {
      ws.cancel(); // closed or timed out while newWebSocket ran
    }
  }

  /** The per-message hooks of a new connection: its heartbeat and the stream's delay recorder. */
  private MessageHooks hooksFor(Connection c) {
    Heartbeat hb = spec.heartbeat();
    return MessageHooks.of(
        hb == null ? null : new HeartbeatMonitor(hb, new HeartbeatHost(c)), delay);
  }

  /** What a connection's heartbeat needs: the manager's timers and clock, and that connection. */
  private final class HeartbeatHost implements HeartbeatMonitor.Host {
    private final Connection c;

    HeartbeatHost(Connection c) {
      this.c = c;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
      return ctx.schedule(task, delayMillis);
    }

    @Override
    public long nowNanos() {
      return ctx.nowNanos();
    }

    @Override
    public boolean send(String text) {
      return sender.send(isCurrent(c) && c.open ? c.ws : null, text);
    }

    @Override
    public void answered(long rttNanos) {
      metrics.heartbeatAnswered(rttNanos / 1e9);
    }

    @Override
    public void timedOut() {
      heartbeatTimedOut(c);
    }

    @Override
    public void error(String what, RuntimeException e) {
      callbacks.threw(what, e);
    }
  }

  boolean isCurrent(Connection c) {
    return connections.current() == c;
  }

  void opened(Connection c, WebSocket ws) {
    c.ws = ws;
    lock.lock();
    try {
      if (!isCurrent(c)) {
        c.cancel();
        return;
      }
      releaseSlotLocked(c);
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
      if (!isCurrent(c)) {
        return;
      }
      c.open = true;
      openedAtMillis = ctx.nowMillis();
      if (c.hooks != null) {
        c.hooks.opened(); // before the state: whoever sees OPEN sees the heartbeat running
      }
      // counted before the state says OPEN: whoever sees OPEN sees them
      sender.subscribed(subscribed);
      metrics.connected(Math.max(0, seconds));
      transitionLocked(StreamState.OPEN);
      if (overrides.onOpen()) {
        callbacks.emit("onOpen", () -> listener.onOpen(this));
      }
      if (idleTimeoutMillis > 0) {
        c.deadline = ctx.schedule(() -> checkIdle(c), idleTimeoutMillis);
      }
    } finally {
      unlock();
    }
  }

  /** The delivery queue is full and its policy is to disconnect. */
  void overflowed(Connection c) {
    disconnected(
        c,
        Disconnect.failed(
            FailureReason.LISTENER_STALLED,
            new IOException(
                "delivery queue full ("
                    + spec.deliveryQueueCapacity()
                    + " messages): the listener"
                    + " falls behind the stream")));
  }

  void serverClosing(Connection c, WebSocket ws, int code, String reason) {
    ws.close(1000, null);
    lock.lock();
    try {
      if (!isCurrent(c) || state == StreamState.CLOSING) {
        return; // stale, or the server's answer to our own close: onClosed finishes
      }
    } finally {
      lock.unlock();
    }
    IOException cause =
        new IOException(
            "server closed the connection with "
                + code
                + (reason.isEmpty() ? "" : " (" + reason + ")"));
    boolean normal = code == 1000 || code == 1001;
    disconnected(c, Disconnect.serverClosed(normal ? null : FailureReason.CLOSED_BY_SERVER, cause));
  }

  /**
   * OkHttp finished the close handshake. It closes the socket only after telling us, so a close we
   * asked for cancels it before the stream counts as closed. Only then: cancelling (a reset) right
   * after answering a server's close could lose that answer on its way.
   */
  void closed(Connection c) {
    lock.lock();
    try {
      if (!isCurrent(c) || state != StreamState.CLOSING) {
        return;
      }
      retireLocked(c);
      finishLocked();
    } finally {
      unlock();
    }
    c.cancel();
    ctx.removed(this);
  }

  void failed(Connection c, Throwable t, Response response) {
    if (!isCurrent(c)) {
      return;
    }
    if (response != null) {
      metrics.handshakeRejected(response.code());
    }
    disconnected(
        c,
        FailureClassifier.classify(
            t, response, c.open, c.counter.inCallback(), policy, ctx.nowMillis(), logId));
  }

  private void connectTimedOut(Connection c) {
    if (!isCurrent(c) || c.open) {
      return;
    }
    disconnected(
        c,
        Disconnect.timedOut(
            FailureReason.CONNECT_TIMEOUT,
            new SocketTimeoutException(
                "handshake did not complete within " + spec.connectTimeout())));
  }

  private void heartbeatTimedOut(Connection c) {
    if (!isCurrent(c) || !c.open) {
      return;
    }
    metrics.heartbeatTimedOut();
    Duration timeout = spec.heartbeat().timeout();
    disconnected(
        c,
        c.counter.inCallback()
            ? Disconnect.timedOut(
                FailureReason.LISTENER_STALLED,
                new SocketTimeoutException(
                    "no heartbeat reply read within "
                        + timeout
                        + ": the listener has not returned from a message callback"))
            : Disconnect.timedOut(
                FailureReason.HEARTBEAT_TIMEOUT,
                new SocketTimeoutException("no heartbeat reply within " + timeout)));
  }

  private void checkIdle(Connection c) {
    lock.lock();
    try {
      if (!isCurrent(c) || state != StreamState.OPEN) {
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
    disconnected(
        c,
        c.counter.inCallback()
            ? Disconnect.timedOut(
                FailureReason.LISTENER_STALLED,
                new SocketTimeoutException(
                    "no message read within "
                        + spec.idleTimeout()
                        + ": the listener has not returned from a message callback"))
            : Disconnect.timedOut(
                FailureReason.IDLE_TIMEOUT,
                new SocketTimeoutException("no message within " + spec.idleTimeout())));
  }

  /**
   * The current connection failed or ended: count it, then back off, give up, or finish a close in
   * progress.
   */
  private void disconnected(Connection c, Disconnect d) {
    boolean connectNow = false;
    boolean finished = false;
    lock.lock();
    try {
      if (!isCurrent(c)) {
        return;
      }
      retireLocked(c);
      stopTimers(c);
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
      connect(true, false);
    }
  }

  /** Counts a failure, then gives up or schedules the reconnect; true to connect at once. */
  private boolean failedLocked(Connection c, Disconnect d) {
    FailureReason reason = d.reason();
    Throwable cause = Redaction.scrubCause(d.cause(), spec.uri());
    if (reason != null) {
      metrics.failed(reason);
      lastReason = reason;
      lastError = reason.label() + ": " + cause;
      if (overrides.onFailure()) {
        callbacks.emit("onFailure", () -> listener.onFailure(this, reason, cause));
      }
    }
    if (c.open && ctx.nowMillis() - openedAtMillis >= policy.minUptime().toMillis()) {
      consecutiveFailures = 0;
    }
    int failures = ++consecutiveFailures;
    if (d.fatal() || policy.isExhausted(failures)) {
      // timers first, state second: whoever sees the new state also sees its timer
      timer = ctx.schedule(this::retentionElapsed, ctx.failedRetentionMillis());
      transitionLocked(StreamState.FAILED);
      FailureReason why = reason != null ? reason : lastReason;
      String what = d.fatal() ? "no retry (fatal)" : "retry attempts exhausted";
      logs.add(
          () ->
              log.warn(
                  "WSManager {}: stream '{}' ({}) gave up after {} consecutive failures,"
                      + " reason {}: {}",
                  what,
                  logId,
                  spec.redactedUrl(),
                  failures,
                  why == null ? "none" : why.label(),
                  cause.toString()));
      if (overrides.onGaveUp()) {
        callbacks.emit("onGaveUp", () -> listener.onGaveUp(this, why, cause));
      }
      return false;
    }
    long backoff = policy.delayMillis(failures, ctx.random());
    long delay = Math.max(backoff, d.retryAfterMillis());
    retries++;
    metrics.retried(delay - backoff);
    boolean connectNow = scheduleConnectLocked(delay);
    transitionLocked(StreamState.BACKING_OFF);
    long attempt = attempts + 1;
    boolean untrusted = reason == FailureReason.TLS_ERROR && failures > 1;
    String why =
        untrusted
            ? "; the server's certificate is not trusted by this client or does not match the host"
            : delay > backoff ? " as the server asked (Retry-After)" : "";
    // one line per retry that `grep "WSManager.*retry"` finds: id, attempt, delay, reason
    logs.add(
        () -> {
          String line =
              "WSManager retry: stream '{}' attempt {} in {} ms{}, reason {} ({} consecutive),"
                  + " url {}: {}";
          Object[] args = {
            logId,
            attempt,
            delay,
            why,
            reason == null ? "normal_close" : reason.label(),
            failures,
            spec.redactedUrl(),
            cause.toString()
          };
          if (untrusted) {
            log.warn(line, args);
          } else {
            log.info(line, args);
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
    lock.lock();
    try {
      switch (state) {
        case CLOSED:
        case CLOSING:
          return;
        case OPEN:
          closing = connections.current();
          stopTimers(closing);
          Connection c = closing;
          timer = ctx.schedule(() -> closeTimedOut(c), ctx.closeTimeoutMillis());
          transitionLocked(StreamState.CLOSING);
          break;
        default:
          Connection connecting = connections.current();
          if (connecting != null) {
            retireLocked(connecting);
            stopTimers(connecting);
          }
          finishLocked();
      }
    } finally {
      unlock();
    }
    if (closing == null) {
      cancelRetired();
      ctx.removed(this);
      return;
    }
    WebSocket ws = closing.ws;
    if (ws != null) {
      ws.close(1000, null); // false means it is already failing: onFailure finishes the close
    }
  }

  @Override
  public CompletionStage<Void> closeAsync() {
    close();
    return closedFuture.minimalCompletionStage();
  }

  /**
   * An operator's reconnect: drops the open connection (closing it with 1000) or skips the backoff
   * wait, or revives a {@link StreamState#FAILED} stream with a fresh attempt count, and connects
   * at once (subject to admission). Not a failure: no failure reason, no retry counted.
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
          dropped = connections.current();
          retireLocked(dropped);
          stopTimers(dropped);
          if (ctx.nowMillis() - openedAtMillis >= policy.minUptime().toMillis()) {
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
      unlock();
    }
    if (dropped != null && dropped.ws != null) {
      dropped.ws.close(1000, "reconnect requested"); // its events are ignored from now on
    }
    if (connectNow) {
      connect(true, false);
    }
    return before;
  }

  /**
   * How long the stream has received nothing: since its last message, or since it was opened when
   * it never received one.
   */
  long idleMillis(long now) {
    lock.lock();
    try {
      long last = Math.max(createdAtMillis, connections.lastMessageAtMillis());
      Connection current = connections.current();
      Connection previous = connections.previous();
      boolean unstamped =
          (current != null && current.counter.unstamped())
              || (previous != null && previous.counter.unstamped());
      if (unstamped) {
        // messages arrived after the last clock read: they count from the first time an
        // observer saw them (as in checkIdle)
        long n = connections.received();
        if (n != adminSeenCount) {
          adminSeenCount = n;
          adminSeenAtMillis = now;
        }
        last = Math.max(last, adminSeenAtMillis);
      }
      return Math.max(0, now - last);
    } finally {
      lock.unlock();
    }
  }

  private void closeTimedOut(Connection c) {
    lock.lock();
    try {
      if (!isCurrent(c) || state != StreamState.CLOSING) {
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
        Connection c = connections.current();
        if (c != null) {
          retireLocked(c);
          stopTimers(c);
        }
        finishLocked();
      }
    } finally {
      unlock();
    }
    cancelRetired();
    ctx.removed(this);
  }

  /** Cancels the sockets of the connections that ended, in case one is still closing. */
  private void cancelRetired() {
    Connection[] retired;
    lock.lock();
    try {
      retired = connections.retired();
    } finally {
      lock.unlock();
    }
    for (Connection c : retired) {
      if (c != null) {
        c.cancel();
      }
    }
  }

  /** Called by the manager once the stream is removed: its id is free. */
  void removedFromManager() {
    closedFuture.complete(null);
  }

  /** {@code c}, the current connection, ended: it gives back its handshake slot if it held one. */
  private void retireLocked(Connection c) {
    connections.retire(c);
    releaseSlotLocked(c);
  }

  private void releaseSlotLocked(Connection c) {
    if (c.holdsSlot) {
      c.holdsSlot = false;
      ctx.releaseConnectSlot();
    }
  }

  private void finishLocked() {
    cancel(timer);
    timer = null;
    transitionLocked(StreamState.CLOSED);
    if (overrides.onClosed()) {
      callbacks.emit("onClosed", () -> listener.onClosed(this));
    }
  }

  private void transitionLocked(StreamState to) {
    StreamState from = state;
    if (from == to) {
      return;
    }
    state = to;
    metrics.stateChanged(from, to);
    logs.add(() -> log.info("stream '{}' {} -> {}", logId, from, to));
    if (overrides.onStateChange()) {
      callbacks.emit("onStateChange", () -> listener.onStateChange(this, from, to));
    }
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
  public StreamState state() {
    return state;
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
    return c == null || state != StreamState.OPEN ? null : c.ws;
  }

  @Override
  public long queuedBytes() {
    Connection c = connections.current();
    WebSocket ws = c == null ? null : c.ws;
    return ws == null ? 0 : ws.queueSize();
  }

  @Override
  public StreamSnapshot snapshot() {
    lock.lock();
    try {
      long lastMessageAt = connections.lastMessageAtMillis();
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
          lastMessageAt < 0 ? null : Instant.ofEpochMilli(lastMessageAt),
          connections.received(),
          sender.sent(),
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
        + state
        + '}';
  }
}
