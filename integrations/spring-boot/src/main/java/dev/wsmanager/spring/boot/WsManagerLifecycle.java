package dev.wsmanager.spring.boot;

import dev.wsmanager.StreamSpec;
import dev.wsmanager.WsManager;
import java.util.List;
import org.springframework.context.SmartLifecycle;

/**
 * Opens the configured streams once the application has started and closes the manager (every
 * stream with 1000, bounded) when it stops, before the web server shuts down: its phase is above
 * the web server's graceful-shutdown and stop phases.
 */
public class WsManagerLifecycle implements SmartLifecycle {
  /** Stops before the web server's graceful shutdown ({@code DEFAULT_PHASE - 1024}). */
  public static final int PHASE = SmartLifecycle.DEFAULT_PHASE - 512;

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
