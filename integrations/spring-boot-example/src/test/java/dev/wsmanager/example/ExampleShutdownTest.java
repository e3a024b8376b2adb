package dev.wsmanager.example;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.StreamState;
import dev.wsmanager.WsManager;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import org.junit.jupiter.api.Test;
import org.springframework.boot.SpringApplication;
import org.springframework.context.ConfigurableApplicationContext;

/** A real start and stop of the example: shutdown closes the stream with 1000. */
class ExampleShutdownTest {
  @Test
  void shutdownClosesTheStreamWith1000() throws Exception {
    try (Peer peer = new Peer()) {
      ConfigurableApplicationContext app =
          SpringApplication.run(
              ExampleApplication.class, "--server.port=0", "--example.feed-url=" + peer.url());
      WsManager manager = app.getBean(WsManager.class);
      long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
      while (manager.stream("demo-ticks").map(s -> s.state() != StreamState.OPEN).orElse(true)) {
        assertThat(System.nanoTime() - deadline).as("stream open in time").isNegative();
        LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
      }

      app.close();

      assertThat(peer.closeCodes.poll(10, TimeUnit.SECONDS)).as("close code").isEqualTo(1000);
      assertThat(manager.isRunning()).isFalse();
    }
  }
}
