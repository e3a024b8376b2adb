package dev.wsmanager.micrometer;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Waits for a condition with a deadline, polling; never a fixed sleep. */
final class Await {
  private Await() {}

  static void until(String what, BooleanSupplier condition) {
    Duration timeout = Duration.ofSeconds(30);
    long deadline = System.nanoTime() + timeout.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() - deadline > 0) {
        throw new AssertionError("timed out after " + timeout + " waiting for " + what);
      }
      LockSupport.parkNanos(2_000_000L);
    }
  }
}
