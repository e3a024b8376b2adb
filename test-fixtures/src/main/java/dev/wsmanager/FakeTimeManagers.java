package dev.wsmanager;

import dev.wsmanager.testing.FakeTime;

/** For the integrations' tests: a manager whose clock and timers are a {@link FakeTime}. */
public final class FakeTimeManagers {
  private FakeTimeManagers() {}

  /** {@code builder} with {@code time} as its clock and its scheduler. */
  public static WsManager.Builder faked(WsManager.Builder builder, FakeTime time) {
    return builder.clock(time).scheduler(time);
  }
}
