package dev.wsmanager;

import dev.wsmanager.testing.FakeTime;
import java.util.function.DoubleSupplier;

/**
 * The route by which tests in other packages reach the builder's test hooks (clock, scheduler,
 * random), which are package-private so that they are no part of the public API.
 */
public final class TestHooks {
  private TestHooks() {}

  /** Runs the manager's clock and timers on {@code time}. */
  public static WsManager.Builder fakeTime(WsManager.Builder builder, FakeTime time) {
    return builder.clock(time).scheduler(time);
  }

  /** Takes jitter from {@code random}. */
  public static WsManager.Builder random(WsManager.Builder builder, DoubleSupplier random) {
    return builder.random(random);
  }
}
