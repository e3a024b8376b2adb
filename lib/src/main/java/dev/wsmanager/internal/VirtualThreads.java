package dev.wsmanager.internal;

import java.lang.reflect.InvocationTargetException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ThreadFactory;

/** Virtual threads when the runtime has them (JDK 21+); the library itself targets JDK 17. */
final class VirtualThreads {
  private VirtualThreads() {}

  /**
   * A new thread-per-task executor of virtual threads.
   *
   * @return the executor
   * @throws IllegalStateException on a runtime without virtual threads
   */
  static ExecutorService executor() {
    try {
      return (ExecutorService)
          Executors.class.getMethod("newVirtualThreadPerTaskExecutor").invoke(null);
    } catch (NoSuchMethodException e) {
      throw unsupported();
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("could not create a virtual-thread executor", e);
    }
  }

  /**
   * A factory of virtual threads named {@code prefix-N}.
   *
   * @throws IllegalStateException on a runtime without virtual threads
   */
  static ThreadFactory factory(String prefix) {
    try {
      Object builder = Thread.class.getMethod("ofVirtual").invoke(null);
      Class<?> ofVirtual = Class.forName("java.lang.Thread$Builder$OfVirtual");
      builder =
          ofVirtual.getMethod("name", String.class, long.class).invoke(builder, prefix + "-", 1L);
      return (ThreadFactory) ofVirtual.getMethod("factory").invoke(builder);
    } catch (NoSuchMethodException | ClassNotFoundException e) {
      throw unsupported();
    } catch (IllegalAccessException | InvocationTargetException e) {
      throw new IllegalStateException("could not create a virtual-thread factory", e);
    }
  }

  private static IllegalStateException unsupported() {
    return new IllegalStateException(
        "virtualThreads(true) needs JDK 21 or newer; this runtime is Java "
            + Runtime.version().feature()
            + ". Remove the option or run on a newer JDK.");
  }
}
