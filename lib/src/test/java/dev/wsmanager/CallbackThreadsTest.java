package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.RecordingListener;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Real time, real threads: a listener that blocks holds up only its own stream. Timers never wait
 * for user code, and close(timeout) is bounded whatever the callbacks do.
 */
class CallbackThreadsTest {
  private final WsPeer peer = new WsPeer();
  private final CountDownLatch release = new CountDownLatch(1);
  private WsManager manager;

  @AfterEach
  void tearDown() {
    release.countDown();
    if (manager != null) {
      manager.close(Duration.ZERO);
    }
    peer.close();
  }

  private WsManager manager(String name, Duration closeTimeout) {
    manager =
        WsManager.builder()
            .name(name)
            .registry(new PrometheusRegistry())
            .closeTimeout(closeTimeout)
            .reconnectPolicy(ReconnectPolicy.builder().initialDelay(Duration.ofSeconds(30)).build())
            .build();
    return manager;
  }

  /**
   * Blocks until the test ends, ignoring interrupts; at most 60 s, longer than any wait of the
   * test, so that whatever the test sees happen while a callback blocks did not wait for it.
   */
  private void block() {
    long end = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (System.nanoTime() - end < 0) {
      try {
        if (release.await(end - System.nanoTime(), TimeUnit.NANOSECONDS)) {
          return;
        }
      } catch (InterruptedException e) {
        // a stubborn callback: keeps blocking
      }
    }
  }

  @Test
  void aBlockedCallbackDelaysNoOtherStreamsTimer() {
    WsManager m = manager("blocked-timer", Duration.ofSeconds(1));
    CountDownLatch blocking = new CountDownLatch(1);
    CountDownLatch blockerReturned = new CountDownLatch(1);
    // its idle timer fires first, on the scheduler; its onFailure then blocks
    ManagedStream blocker =
        m.open(
            StreamSpec.builder("blocker", peer.url())
                .pingInterval(Duration.ZERO)
                .idleTimeout(Duration.ofMillis(100))
                .listener(
                    new StreamListener() {
                      @Override
                      public void onFailure(ManagedStream s, FailureReason r, Throwable c) {
                        blocking.countDown();
                        block();
                        blockerReturned.countDown();
                      }
                    })
                .build());
    Duration idle = Duration.ofMillis(400);
    ManagedStream timed =
        m.open(
            StreamSpec.builder("timed", peer.url())
                .pingInterval(Duration.ZERO)
                .idleTimeout(idle)
                .build());
    Await.until(
        "both open",
        () -> blocker.state() == StreamState.OPEN && timed.state() == StreamState.OPEN);
    long openedAt = System.nanoTime();
    Await.until("the blocker's callback blocks", () -> blocking.getCount() == 0);
    Await.until("the other stream's idle timeout", () -> timed.state() == StreamState.BACKING_OFF);
    long delayMillis =
        TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - openedAt) - idle.toMillis();
    System.out.printf(
        "[threads] idle timeout of 'timed' fired %d ms late while 'blocker' blocked%n",
        delayMillis);
    // had the timer waited for the blocked callback, it could not have fired before it returned
    assertThat(blockerReturned.getCount()).as("the blocker's callback still blocks").isOne();
    assertThat(timed.snapshot().lastFailureReason()).isEqualTo(FailureReason.IDLE_TIMEOUT);
  }

  @Test
  void closeReturnsWithinItsTimeoutWhateverTheCallbacksDo() {
    WsManager m = manager("slow-close", Duration.ofSeconds(1));
    List<ManagedStream> streams = new ArrayList<>();
    for (int i = 0; i < 3; i++) {
      streams.add(
          m.open(
              StreamSpec.builder("s" + i, peer.url())
                  .listener(
                      new StreamListener() {
                        @Override
                        public void onStateChange(
                            ManagedStream s, StreamState from, StreamState to) {
                          if (to == StreamState.CLOSING) {
                            block();
                          }
                        }
                      })
                  .build()));
    }
    Await.until("all open", () -> streams.stream().allMatch(s -> s.state() == StreamState.OPEN));
    long start = System.nanoTime();
    m.close(Duration.ofSeconds(1));
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    System.out.printf("[threads] close(1 s) with three blocked callbacks took %d ms%n", tookMillis);
    // the documented bound: the timeout plus the close grace (1 s), which covers a busy machine
    assertThat(tookMillis).as("close(1 s) duration, ms").isLessThan(1_000 + 1_000);
    assertThat(m.streams()).isEmpty();
    assertThat(m.stats().activeConnections()).isZero();
    Await.until("server sockets closed", () -> peer.open.isEmpty());
  }

  @Test
  void anInterruptibleCallbackStillRunningAtCloseIsInterruptedAndLeavesNoThread() throws Exception {
    WsManager m = manager("sleepy", Duration.ofMillis(200));
    CountDownLatch sleeping = new CountDownLatch(1);
    CountDownLatch interrupted = new CountDownLatch(1);
    ManagedStream s =
        m.open(
            StreamSpec.builder("s", peer.url())
                .listener(
                    new StreamListener() {
                      @Override
                      public void onOpen(ManagedStream stream) {
                        sleeping.countDown();
                        try {
                          // Blocks until close() interrupts it; nothing else releases it.
                          new CountDownLatch(1).await(60, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          interrupted.countDown();
                          Thread.currentThread().interrupt();
                        }
                      }
                    })
                .build());
    assertThat(sleeping.await(30, TimeUnit.SECONDS)).isTrue();
    assertThat(s.state()).isEqualTo(StreamState.OPEN);
    long start = System.nanoTime();
    m.close();
    long tookMillis = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    assertThat(tookMillis).isLessThan(200 + 1_200);
    assertThat(interrupted.getCount()).as("the blocked callback was interrupted").isZero();
    assertThat(ManagerScaleAndShutdownTest.threadsNamed("ws-manager-sleepy-"))
        .as("threads right after close()")
        .isEmpty();
  }

  @Test
  void lifecycleCallbacksNeverRunOnTheSchedulerOrTheClosingThread() {
    WsManager m = manager("which-thread", Duration.ofSeconds(1));
    List<String> threads = new java.util.concurrent.CopyOnWriteArrayList<>();
    RecordingListener listener =
        new RecordingListener() {
          @Override
          public void onStateChange(ManagedStream stream, StreamState from, StreamState to) {
            threads.add(Thread.currentThread().getName());
            super.onStateChange(stream, from, to);
          }
        };
    ManagedStream s = m.open(StreamSpec.builder("s", peer.url()).listener(listener).build());
    Await.until("open", () -> s.state() == StreamState.OPEN);
    s.close();
    Await.until("closed event", () -> listener.events.contains("closed"));
    assertThat(listener.events)
        .containsSubsequence(
            "CONNECTING->OPEN", "open", "OPEN->CLOSING", "CLOSING->CLOSED", "closed");
    assertThat(threads)
        .isNotEmpty()
        .allMatch(n -> n.startsWith("ws-manager-which-thread-callback-"));
  }
}
