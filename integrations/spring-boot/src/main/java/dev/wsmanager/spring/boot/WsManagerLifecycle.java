package dev.wsmanager.spring.boot;

import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import java.util.List;
import org.springframework.context.SmartLifecycle;

/**
 * Opens the configured streams once the application has started and closes the manager (every
 * stream with 1000, bounded) when it stops, before the web server shuts down.
 *
 * <p>Its phase is the last one, {@link SmartLifecycle#DEFAULT_PHASE}: streams open only after the
 * web server and after the application's own lifecycle beans of that phase (registered before
 * auto-configuration, so started before this one), such as Spring's WebSocket handler mapping and
 * message brokers; a stream to a feed the application serves itself never dials a half-started
 * application. At shutdown the last phase stops first, before the web server's graceful shutdown
 * ({@code DEFAULT_PHASE - 1024}) and stop ({@code DEFAULT_PHASE - 2048}).
 */
public class WsManagerLifecycle implements SmartLifecycle {
  /** The last phase: starts after, and stops before, everything of an earlier phase. */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE;

  private final WsManager manager;
  private final List<StreamSpec> specs;
  private volatile boolean running;

  WsManagerLifecycle(WsManager manager, List<StreamSpec> specs) {
    this.manager = manager;
    this.specs = List.copyOf(specs);
  }

  @Override
  public void start() {
    for (StreamSpec spec : specs) {
      if (manager.stream(spec.id()).isEmpty()) {
        manager.open(spec);
      }
    }
    running = true;
  }

  @Override
  public void stop() {
    running = false;
    manager.close();
  }

  @Override
  public boolean isRunning() {
    return running;
  }

  @Override
  public int getPhase() {
    return PHASE;
  }
}
