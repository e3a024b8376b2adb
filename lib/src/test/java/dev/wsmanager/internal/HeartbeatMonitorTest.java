package dev.wsmanager.internal;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.Heartbeat;
import dev.wsmanager.testing.FakeTime;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/** The heartbeat's timing alone: a fake connection, fake time. */
class HeartbeatMonitorTest {
  private final FakeTime time = new FakeTime();
  private final List<String> sent = new CopyOnWriteArrayList<>();
  private final List<Long> rtts = new CopyOnWriteArrayList<>();
  private final List<String> errors = new CopyOnWriteArrayList<>();
  private final AtomicInteger timeouts = new AtomicInteger();

  private final HeartbeatMonitor.Host host =
      new HeartbeatMonitor.Host() {
        @Override
        public ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
          return time.schedule(task, delayMillis, TimeUnit.MILLISECONDS);
        }

        @Override
        public long nowNanos() {
          Instant now = time.instant();
          return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        }

        @Override
        public boolean send(String text) {
          sent.add(text);
          return true;
        }

        @Override
        public void answered(long rttNanos) {
          rtts.add(rttNanos);
        }

        @Override
        public void timedOut() {
          timeouts.incrementAndGet();
        }

        @Override
        public void error(String what, RuntimeException e) {
          errors.add(what + ": " + e.getMessage());
        }
      };

  private static Heartbeat heartbeat(Supplier<String> message, Duration timeout) {
    return Heartbeat.builder()
        .message(message)
        .reply("pong"::equals)
        .interval(Duration.ofSeconds(10))
        .timeout(timeout)
        .build();
  }

  @Test
  void sendsEveryIntervalAndTimesEachReply() {
    HeartbeatMonitor m = new HeartbeatMonitor(heartbeat(() -> "ping", Duration.ofSeconds(2)), host);
    m.start();
    time.advance(Duration.ofMillis(9_999));
    assertThat(sent).isEmpty();
    time.advance(Duration.ofMillis(1));
    assertThat(sent).containsExactly("ping");
    time.advance(Duration.ofMillis(250));
    assertThat(m.consume("tick")).isFalse();
    assertThat(m.consume("pong")).isTrue();
    assertThat(rtts).containsExactly(250_000_000L);
    time.advance(Duration.ofSeconds(22)); // heartbeats at 20 s and 30 s, deadlines at 22 and 32
    assertThat(sent).hasSize(3);
    assertThat(timeouts).as("two unanswered heartbeats").hasValue(2);
  }

  @Test
  void anUnsolicitedReplyIsSwallowedButNotCountedAndALateOneCannotUndoATimeout() {
    HeartbeatMonitor m = new HeartbeatMonitor(heartbeat(() -> "ping", Duration.ofSeconds(2)), host);
    m.start();
    assertThat(m.consume("pong")).isTrue();
    assertThat(rtts).isEmpty();
    time.advance(Duration.ofSeconds(12));
    assertThat(timeouts).hasValue(1);
    assertThat(m.consume("pong")).isTrue();
    assertThat(rtts).as("too late").isEmpty();
  }

  @Test
  void aTimeoutEqualToTheIntervalExpiresBeforeTheNextHeartbeatIsSent() {
    List<String> order = new CopyOnWriteArrayList<>();
    HeartbeatMonitor m =
        new HeartbeatMonitor(
            heartbeat(
                () -> {
                  order.add("send");
                  return "ping";
                },
                Duration.ofSeconds(10)),
            new DelegatingHost(host) {
              @Override
              public void timedOut() {
                order.add("timeout");
              }
            });
    m.start();
    time.advance(Duration.ofSeconds(20));
    assertThat(order).containsExactly("send", "timeout", "send");
  }

  @Test
  void aThrowingSupplierOrPredicateIsReportedAndTheDeadlineStillHolds() {
    HeartbeatMonitor m =
        new HeartbeatMonitor(
            Heartbeat.builder()
                .message(
                    () -> {
                      throw new IllegalStateException("no token");
                    })
                .reply(
                    t -> {
                      throw new IllegalArgumentException("bad predicate");
                    })
                .interval(Duration.ofSeconds(10))
                .timeout(Duration.ofSeconds(1))
                .build(),
            host);
    m.start();
    time.advance(Duration.ofSeconds(11));
    assertThat(sent).isEmpty();
    assertThat(timeouts).hasValue(1);
    assertThat(m.consume("pong")).isFalse();
    assertThat(errors)
        .containsExactly(
            "heartbeat message supplier: no token", "heartbeat reply predicate: bad predicate");
  }

  @Test
  void stopCancelsEverything() {
    HeartbeatMonitor m = new HeartbeatMonitor(heartbeat(() -> "ping", Duration.ofSeconds(2)), host);
    m.start();
    time.advance(Duration.ofSeconds(10));
    m.stop();
    assertThat(time.pendingCount()).isZero();
    time.advance(Duration.ofMinutes(1));
    assertThat(timeouts).hasValue(0);
    assertThat(sent).hasSize(1);
    m.start();
    assertThat(time.pendingCount()).as("a stopped monitor stays stopped").isZero();
  }

  /** A host that passes everything to another. */
  private static class DelegatingHost implements HeartbeatMonitor.Host {
    private final HeartbeatMonitor.Host d;

    DelegatingHost(HeartbeatMonitor.Host d) {
      this.d = d;
    }

    @Override
    public ScheduledFuture<?> schedule(Runnable task, long delayMillis) {
      return d.schedule(task, delayMillis);
    }

    @Override
    public long nowNanos() {
      return d.nowNanos();
    }

    @Override
    public boolean send(String text) {
      return d.send(text);
    }

    @Override
    public void answered(long rttNanos) {
      d.answered(rttNanos);
    }

    @Override
    public void timedOut() {
      d.timedOut();
    }

    @Override
    public void error(String what, RuntimeException e) {
      d.error(what, e);
    }
  }
}
