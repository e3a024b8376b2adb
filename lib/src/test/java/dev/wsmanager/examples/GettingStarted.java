package dev.wsmanager.examples;

import dev.wsmanager.ManagedStream;
import dev.wsmanager.StreamListener;
import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import java.time.Duration;
import java.util.function.Consumer;

/** The example in docs/getting-started.md, kept compiling (and run by GettingStartedTest). */
public final class GettingStarted {
  private GettingStarted() {}

  // --8<-- [start:example]
  public static WsManager start(String url, Consumer<String> onTick) {
    WsManager manager = WsManager.builder().name("market-data").build();
    manager.open(
        StreamSpec.builder("btc-trades", url)
            .subscribe("{\"op\":\"subscribe\",\"args\":[\"trades.BTCUSDT\"]}")
            .idleTimeout(Duration.ofSeconds(30))
            .listener(
                new StreamListener() {
                  @Override
                  public void onText(ManagedStream stream, String text) {
                    onTick.accept(text);
                  }
                })
            .build());
    return manager; // reconnects on its own; close() it on shutdown
  }
  // --8<-- [end:example]
}
