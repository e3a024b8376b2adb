package dev.wsmanager.internal;

import dev.wsmanager.Heartbeat;
import dev.wsmanager.StreamSpec;
import java.util.concurrent.ScheduledFuture;

/**
 * Makes each new connection's per-message hooks ({@link MessageHooks}): a heartbeat of its own,
 * which runs on the manager's timers and fails the connection through the stream, and the stream's
 * delay recorder, which carries its sampling across connections. A stream with neither gets none.
 */
final class ConnectionHooks {
  private final Heartbeat heartbeat;
  private final DelayRecorder delay;
  private final StreamContext ctx;
  private final StreamLoop loop;
  private final ManagerMetrics metrics;
  private final SerialCallbacks callbacks;
  private final Sender sender;

  ConnectionHooks(
      StreamSpec spec,
      StreamContext ctx,
      StreamLoop loop,
      ManagerMetrics metrics,
      SerialCallbacks callbacks,
      Sender sender) {
    this.heartbeat = spec.heartbeat();
    this.ctx = ctx;
    this.loop = loop;
    this.metrics = metrics;
    this.callbacks = callbacks;
    this.sender = sender;
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
  }

  /** The hooks of a new connection, or null when the stream has no heartbeat and no event time. */
  MessageHooks forConnection(Connection c) {
    return MessageHooks.of(
        heartbeat == null ? null : new HeartbeatMonitor(heartbeat, new Host(c)), delay);
  }

  /** What a connection's heartbeat needs: the manager's timers and clock, and that connection. */
  private final class Host implements HeartbeatMonitor.Host {
    private final Connection c;

    Host(Connection c) {
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
      return sender.send(loop.isCurrent(c) && c.open ? c.ws : null, text);
    }

    @Override
    public void answered(long rttNanos) {
      metrics.heartbeatAnswered(rttNanos / 1e9);
    }

    @Override
    public void timedOut() {
      loop.heartbeatTimedOut(c);
    }

    @Override
    public void error(String what, RuntimeException e) {
      callbacks.threw(what, e);
    }
  }
}
