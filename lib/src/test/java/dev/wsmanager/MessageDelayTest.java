package dev.wsmanager;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.FakeTime;
import dev.wsmanager.testing.RecordingListener;
import dev.wsmanager.testing.WsPeer;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.time.Duration;
import java.util.function.ToLongFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Feed delay from event times, against a real server on loopback; the clock is faked. */
class MessageDelayTest {
  private final FakeTime time = new FakeTime();
  private final PrometheusRegistry registry = new PrometheusRegistry();
  private final WsPeer peer = new WsPeer();
  private final RecordingListener listener = new RecordingListener();
  private final WsManager manager =
      WsManager.builder().name("delay").registry(registry).clock(time).scheduler(time).build();

  @AfterEach
  void tearDown() {
    manager.close(Duration.ofSeconds(2));
    peer.close();
  }

  private ManagedStream open(StreamSpec.Builder spec) {
    ManagedStream stream =
        manager.open(spec.listener(listener).pingInterval(Duration.ZERO).build());
    Await.until("open", () -> stream.state() == StreamState.OPEN);
    return stream;
  }

  private void sendAndAwait(String... messages) {
    int before = listener.texts.size();
    for (String m : messages) {
      peer.broadcast(m);
    }
    Await.until("delivered", () -> listener.texts.size() == before + messages.length);
  }

  @Test
  void recordsNowMinusTheEventTimeAndCountsSkewApart() throws Exception {
    open(StreamSpec.builder("s", peer.url()).eventTime(EventTime.jsonField("E")));
    long now = time.millis();
    sendAndAwait(
        "{\"E\":" + (now - 250) + "}",
        "{\"E\":" + (now - 3_000) + "}",
        "{\"E\":" + (now + 40) + "}", // the server's clock is ahead
        "{\"event\":\"subscribed\"}"); // no event time: not measured

    String text = MetricsExportTest.scrape(registry);
    assertThat(text)
        .contains("ws_manager_message_delay_seconds_bucket{manager=\"delay\",le=\"0.1\"} 0")
        .contains("ws_manager_message_delay_seconds_bucket{manager=\"delay\",le=\"0.25\"} 1")
        .contains("ws_manager_message_delay_seconds_bucket{manager=\"delay\",le=\"2.5\"} 1")
        .contains("ws_manager_message_delay_seconds_bucket{manager=\"delay\",le=\"5.0\"} 2")
        .contains("ws_manager_message_delay_seconds_count{manager=\"delay\"} 2")
        .contains("ws_manager_message_delay_seconds_sum{manager=\"delay\"} 3.25")
        .contains("ws_manager_message_delay_negative_total{manager=\"delay\"} 1.0");
    assertThat(manager.stats().negativeMessageDelays()).isEqualTo(1);
    assertThat(listener.texts).hasSize(4);
  }

  @Test
  void samplingReadsOneMessageInN() throws Exception {
    int[] calls = {0};
    ToLongFunction<String> counting =
        text -> {
          calls[0]++;
          return time.millis() - 100;
        };
    open(StreamSpec.builder("s", peer.url()).eventTime(counting).eventTimeSampling(3));
    sendAndAwait("1", "2", "3", "4", "5", "6", "7");
    assertThat(calls[0]).as("messages 1, 4 and 7").isEqualTo(3);
    assertThat(MetricsExportTest.scrape(registry))
        .contains("ws_manager_message_delay_seconds_count{manager=\"delay\"} 3");
  }

  @Test
  void aThrowingExtractorIsAListenerErrorAndTheMessageStillArrives() {
    open(
        StreamSpec.builder("s", peer.url())
            .eventTime(
                text -> {
                  throw new NumberFormatException("bad ts");
                }));
    sendAndAwait("{\"ts\":\"x\"}");
    assertThat(listener.texts).containsExactly("{\"ts\":\"x\"}");
    assertThat(manager.stats().listenerErrors()).isEqualTo(1);
  }

  @Test
  void samplingIsValidated() {
    assertThatThrownBy(
            () ->
                StreamSpec.builder("s", peer.url()).eventTime(t -> 1).eventTimeSampling(0).build())
        .hasMessage("stream 's': eventTimeSampling must be within [1, 1000000], was 0");
  }
}
