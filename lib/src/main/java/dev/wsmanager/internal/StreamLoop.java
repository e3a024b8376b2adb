package dev.wsmanager.internal;

import dev.wsmanager.FailureReason;
import dev.wsmanager.ReconnectPolicy;
import dev.wsmanager.StreamSnapshot;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.StreamState;
import java.time.Instant;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.locks.ReentrantLock;
import okhttp3.OkHttpClient;
import okhttp3.Request;
import okhttp3.Response;
import okhttp3.WebSocket;

/**
 * One stream's state machine: owns its state, its connections and its timers, and decides after
 * every event whether to open, back off or give up (see {@link StreamState}). It reaches the
 * manager through a {@link StreamContext}; its user holds its {@link StreamHandle}; its {@link
 * Retries} say what a failure decides; its {@link StreamEvents} tell the gauge, the log and the
 * listener what it decided.
 *
 * <p>State changes happen under {@link #lock}; sockets are touched, log lines written and user
 * callbacks delivered (on the manager's callback threads, in the order of the transitions) after it
 * is released. Timers run on the manager's scheduler and never call user code.
 */
final class StreamLoop {
  /** How often a reconnect checks whether the last connection's stalled callback has returned. */
  static final long STALLED_RECHECK_MILLIS = 100;

  /** The counters of the stream's group. */
  final ManagerMetrics metrics;

  /** What the stream's user holds. */
  final StreamHandle handle;

  private final StreamContext ctx;
  private final StreamSpec spec;
  private final OkHttpClient client;
  private final Request request;
  private final String logId; // control characters escaped: an id cannot forge log lines
  private final SerialCallbacks callbacks;
  private final StreamEvents events;
  private final MessageDelivery messages;
  private final ConnectionHooks hooks;
  private final long createdAtMillis;

  private final ReentrantLock lock = new ReentrantLock();
  // Guarded by lock; volatile where read without it.
  private volatile StreamState state = StreamState.CONNECTING;
  private final ConnectionHistory connections = new ConnectionHistory();
  private final Retries retries;
  private final IdleWatch idle = new IdleWatch();
  private ScheduledFuture<?> timer; // the next attempt, the close deadline or the FAILED retention
  private volatile long attempts;
  private long openedAtMillis = -1;
  private boolean waitingForSlot; // in line for a handshake slot (ctx.acquireConnectSlot)

  StreamLoop(
      StreamContext ctx,
      StreamSpec spec,
      ReconnectPolicy policy,
      OkHttpClient client,
      ManagerMetrics metrics) {
    this.ctx = ctx;
    this.metrics = metrics;
    this.spec = spec;
    this.client = client;
    this.logId = Redaction.printable(spec.id());
    this.createdAtMillis = ctx.nowMillis();
    this.retries = new Retries(policy, logId, spec.redactedUrl());
    Sender sender = new Sender(spec.maxQueuedBytes(), metrics, logId);
    this.handle = new StreamHandle(this, spec, sender, connections);
    this.callbacks = new SerialCallbacks(ctx.callbacks(), logId, metrics.listenerErrors::increment);
    this.events = new StreamEvents(handle, spec.listener(), callbacks, metrics, logId);
    QueuedDelivery queued =
        spec.deliveryQueueCapacity() == 0
            ? null
            : new QueuedDelivery(
                spec.deliveryQueueCapacity(),
                spec.queueOverflow(),
                callbacks,
                metrics,
                spec.listener(),
                handle);
    this.messages = new MessageDelivery(spec.listener(), handle, callbacks, queued);
    this.hooks = new ConnectionHooks(spec, ctx, this, metrics, callbacks, sender);
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
      c = new Connection(this, messages, ctx.nowNanos(), ctx::nowMillis, hooks::forConnection);
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
      c.cancelDeadline();
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
      handle.sender.subscribed(subscribed);
      metrics.connected(Math.max(0, seconds));
      transitionLocked(StreamState.OPEN);
      events.opened();
      if (spec.idleTimeout().toMillis() > 0) {
        c.deadline = ctx.schedule(() -> checkIdle(c), spec.idleTimeout().toMillis());
      }
    } finally {
      unlock();
    }
  }

  /** The delivery queue is full and its policy is to disconnect. */
  void overflowed(Connection c) {
    disconnected(c, Disconnect.queueFull(spec.deliveryQueueCapacity()));
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
    disconnected(c, Disconnect.serverClosed(code, reason));
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
      endLocked();
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
            t, response, c.open, c.counter.inCallback(), retries.policy(), ctx.nowMillis(), logId));
  }

  private void connectTimedOut(Connection c) {
    if (isCurrent(c) && !c.open) {
      disconnected(c, Disconnect.connectTimedOut(spec.connectTimeout()));
    }
  }

  void heartbeatTimedOut(Connection c) {
    if (!isCurrent(c) || !c.open) {
      return;
    }
    metrics.heartbeatTimedOut();
    disconnected(
        c,
        Disconnect.nothingRead(
            FailureReason.HEARTBEAT_TIMEOUT,
            "heartbeat reply",
            spec.heartbeat().timeout(),
            c.counter.inCallback()));
  }

  private void checkIdle(Connection c) {
    lock.lock();
    try {
      if (!isCurrent(c) || state != StreamState.OPEN) {
        return;
      }
      long now = ctx.nowMillis();
      long due = idle.lastLifeMillis(c, openedAtMillis, now) + spec.idleTimeout().toMillis();
      if (now < due) {
        c.deadline = ctx.schedule(() -> checkIdle(c), due - now);
        return;
      }
    } finally {
      lock.unlock();
    }
    disconnected(
        c,
        Disconnect.nothingRead(
            FailureReason.IDLE_TIMEOUT, "message", spec.idleTimeout(), c.counter.inCallback()));
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
      c.stopTimers();
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
      retries.remember(reason, cause);
      events.failed(reason, cause);
    }
    retries.ended(c.open, ctx.nowMillis() - openedAtMillis);
    Retries.Wait wait = retries.next(d.fatal(), d.retryAfterMillis(), ctx.random());
    if (wait == null) {
      // timers first, state second: whoever sees the new state also sees its timer
      timer = ctx.schedule(this::retentionElapsed, ctx.failedRetentionMillis());
      transitionLocked(StreamState.FAILED);
      events.log(retries.gaveUpLine(d.fatal(), reason, cause));
      events.gaveUp(reason != null ? reason : retries.lastReason(), cause);
      return false;
    }
    metrics.retried(wait.serverDirectedMillis());
    boolean connectNow = scheduleConnectLocked(wait.delayMillis());
    transitionLocked(StreamState.BACKING_OFF);
    events.log(retries.retryLine(attempts + 1, wait, reason, cause));
    return connectNow;
  }

  private void retentionElapsed() {
    if (state == StreamState.FAILED) {
      close();
    }
  }

  /**
   * Closes the stream: an open connection with 1000 and a bounded wait for the server's answer
   * ({@link #closeTimedOut}), anything else at once.
   */
  void close() {
    Connection closing = null;
    lock.lock();
    try {
      switch (state) {
        case CLOSED:
        case CLOSING:
          return;
        case OPEN:
          closing = connections.current();
          closing.stopTimers();
          Connection c = closing;
          timer = ctx.schedule(() -> closeTimedOut(c), ctx.closeTimeoutMillis());
          transitionLocked(StreamState.CLOSING);
          break;
        default:
          endLocked();
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

  private void closeTimedOut(Connection c) {
    lock.lock();
    try {
      if (!isCurrent(c) || state != StreamState.CLOSING) {
        return;
      }
      endLocked();
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
        endLocked();
      }
    } finally {
      unlock();
    }
    cancelRetired();
    ctx.removed(this);
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
          dropped.stopTimers();
          retries.ended(true, ctx.nowMillis() - openedAtMillis);
          break;
        case FAILED:
          retries.reset();
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

  /** How long the stream has received nothing (see {@link IdleWatch#idleMillis}). */
  long idleMillis(long now) {
    lock.lock();
    try {
      return idle.idleMillis(connections, createdAtMillis, now);
    } finally {
      lock.unlock();
    }
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

  /** Retires the current connection, if any, stops its timers and makes the stream CLOSED. */
  private void endLocked() {
    Connection c = connections.current();
    if (c != null) {
      retireLocked(c);
      c.stopTimers();
    }
    finishLocked();
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
    events.closed();
  }

  private void transitionLocked(StreamState to) {
    StreamState from = state;
    if (from != to) {
      state = to;
      events.changed(from, to);
    }
  }

  /** Releases the lock, then writes the log lines and starts delivering the callbacks queued. */
  private void unlock() {
    Runnable[] lines = events.takeLines();
    lock.unlock();
    events.publish(lines);
  }

  private static void cancel(ScheduledFuture<?> future) {
    if (future != null) {
      future.cancel(false);
    }
  }

  StreamState state() {
    return state;
  }

  long attempts() {
    return attempts;
  }

  String id() {
    return spec.id();
  }

  StreamSnapshot snapshot() {
    lock.lock();
    try {
      long lastMessageAt = connections.lastMessageAtMillis();
      return new StreamSnapshot(
          spec.id(),
          spec.redactedUrl(),
          state,
          attempts,
          retries.retries(),
          retries.consecutiveFailures(),
          retries.lastReason(),
          retries.lastError(),
          openedAtMillis < 0 ? null : Instant.ofEpochMilli(openedAtMillis),
          lastMessageAt < 0 ? null : Instant.ofEpochMilli(lastMessageAt),
          connections.received(),
          handle.sender.sent(),
          handle.queuedBytes(),
          spec.group());
    } finally {
      lock.unlock();
    }
  }
}
