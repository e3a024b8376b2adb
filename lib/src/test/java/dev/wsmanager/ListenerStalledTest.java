package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.RecordingListener;
import dev.wsmanager.testing.Scrape;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * A listener that blocks in a message callback on a healthy feed is reported as such, never as a
 * network fault; queued delivery keeps the reader free.
 */
class ListenerStalledTest {
  private final WsPeer peer = new WsPeer();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final CountDownLatch release = new CountDownLatch(1);
  private final ScheduledExecutorService feed = Executors.newSingleThreadScheduledExecutor();
  private final AtomicInteger ticks = new AtomicInteger();
  private final WsManager manager =
      WsManager.builder()
          .name("stalled")
          .registry(registry)
          .reconnectPolicy(ReconnectPolicy.builder().initialDelay(Duration.ofMillis(50)).build())
          .build();

  @AfterEach
  void tearDown() {
    release.countDown();
    feed.shutdownNow();
    manager.close(Duration.ofSeconds(1));
    peer.close();
  }

  /** A healthy feed: a message every 50 ms to every open connection. */
  private void startFeed() {
    feed.scheduleAtFixedRate(
        () -> peer.broadcast("tick-" + ticks.incrementAndGet()), 0, 50, TimeUnit.MILLISECONDS);
  }

  private RecordingListener blockingOnFirstText() {
    return new RecordingListener() {
      @Override
      public void onText(ManagedStream stream, String text) {
        super.onText(stream, text);
        if (texts.size() == 1) {
          try {
            release.await(10, TimeUnit.SECONDS);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
      }
    };
  }

  @Test
  void aListenerBlockedInOnTextIsReportedAsListenerStalledNotIdleTimeout() {
    RecordingListener listener = blockingOnFirstText();
    ManagedStream s =
        manager.open(
            StreamSpec.builder("slow", peer.url())
                .pingInterval(Duration.ZERO)
                .idleTimeout(Duration.ofMillis(300))
                .listener(listener)
                .build());
    Await.until("open", () -> s.state() == StreamState.OPEN);
    startFeed();
    Await.until("failure", () -> !listener.failures.isEmpty());
    assertThat(listener.failures).containsExactly(FailureReason.LISTENER_STALLED);
    assertThat(s.snapshot().lastError()).startsWith("listener_stalled: ");
    assertThat(
            Scrape.value(
                registry, "ws_manager_connection_failures_total", "reason=\"listener_stalled\""))
        .isEqualTo(1);
    assertThat(
            Scrape.value(
                registry, "ws_manager_connection_failures_total", "reason=\"idle_timeout\""))
        .isZero();
    assertThat(s.state())
        .as("no reconnect while the callback is stuck")
        .isEqualTo(StreamState.BACKING_OFF);
    release.countDown();
    Await.until("reconnected after the callback returned", () -> s.state() == StreamState.OPEN);
  }

  @Test
  void queuedDeliveryKeepsTheConnectionReadingAndDropsTheOldest() throws InterruptedException {
    RecordingListener listener = blockingOnFirstText();
    ManagedStream s =
        manager.open(
            StreamSpec.builder("queued", peer.url())
                .pingInterval(Duration.ofMillis(500))
                .idleTimeout(Duration.ofMillis(300))
                .queuedDelivery(3, QueueOverflow.DROP_OLDEST)
                .listener(listener)
                .build());
    Await.until("open", () -> s.state() == StreamState.OPEN);
    startFeed();
    // blocked for well over the idle timeout and several ping intervals: the reader keeps reading
    Await.until(
        "drops", () -> Scrape.value(registry, "ws_manager_messages_dropped_total", "") >= 15);
    assertThat(s.state()).isEqualTo(StreamState.OPEN);
    assertThat(listener.failures).isEmpty();
    assertThat(Scrape.value(registry, "ws_manager_delivery_queue_depth", "")).isEqualTo(3);
    feed.shutdown(); // lets a broadcast under way finish: every tick counted was sent
    assertThat(feed.awaitTermination(5, TimeUnit.SECONDS)).isTrue();
    long sent = ticks.get();
    Await.until("all received", () -> manager.stats().messagesReceived() == sent);
    release.countDown();
    Await.until("the latest delivered", () -> listener.texts.contains("tick-" + sent));
    assertThat(listener.texts).hasSize(4).startsWith("tick-1").endsWith("tick-" + sent);
    Await.until(
        "queue drained", () -> Scrape.value(registry, "ws_manager_delivery_queue_depth", "") == 0);
    // the feed has stopped, so an idle timeout may follow; nothing blames the listener
    assertThat(listener.failures)
        .doesNotContain(FailureReason.LISTENER_STALLED, FailureReason.PING_TIMEOUT);
  }

  @Test
  void aFullQueueThatMayNotDropFailsTheConnectionAsListenerStalled() {
    RecordingListener listener = blockingOnFirstText();
    ManagedStream s =
        manager.open(
            StreamSpec.builder("strict", peer.url())
                .pingInterval(Duration.ZERO)
                .queuedDelivery(2, QueueOverflow.DISCONNECT)
                .listener(listener)
                .build());
    Await.until("open", () -> s.state() == StreamState.OPEN);
    startFeed();
    Await.until("failure", () -> s.snapshot().lastFailureReason() != null);
    assertThat(s.snapshot().lastFailureReason()).isEqualTo(FailureReason.LISTENER_STALLED);
    assertThat(s.snapshot().lastError()).contains("delivery queue full (2 messages)");
  }
}
