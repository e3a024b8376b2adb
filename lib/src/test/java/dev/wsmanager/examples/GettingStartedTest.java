package dev.wsmanager.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.wsmanager.WsManager;
import dev.wsmanager.testing.Await;
import dev.wsmanager.testing.WsPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class GettingStartedTest {
  @Test
  void theDocumentedExampleWorksAgainstARealPeer() throws Exception {
    List<String> ticks = new CopyOnWriteArrayList<>();
    try (WsPeer peer = new WsPeer();
        WsManager manager = GettingStarted.start(peer.url(), ticks::add)) {
      String subscribe = peer.awaitReceived();
      assertThat(subscribe).contains("trades.BTCUSDT");
      peer.broadcast("{\"price\":1}");
      Await.until("tick", () -> ticks.contains("{\"price\":1}"));
      assertThat(manager.stats().activeConnections()).isEqualTo(1);
    }
  }

  @Test
  void theDocsQuoteTheExampleVerbatim() throws Exception {
    String source =
        Files.readString(Path.of("src/test/java/dev/wsmanager/examples/GettingStarted.java"));
    String example =
        source.substring(
            source.indexOf("// --8<-- [start:example]\n") + "// --8<-- [start:example]\n".length(),
            source.indexOf("  // --8<-- [end:example]"));
    String docs = Files.readString(Path.of("../docs/getting-started.md"));
    assertThat(docs).contains(example.replaceAll("(?m)^  ", ""));
  }
}
